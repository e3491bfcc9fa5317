"""The register's services: officers write, guards/inspectors/officers read."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from hub.core import Hub, HubError, ServiceCall, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from hub.util.files import write_atomic

from . import feed, lists
from .codes import CodeError
from .const import DOMAIN
from .fields import VehicleClass, form_tables
from .index import KIND_REVIEW
from .models import VehicleHistory
from .pacing import async_sliced, collector_paused
from .problems import patterns
from .register import Actor, Register
from .schemas import (
    BlacklistAdd,
    BlacklistImport,
    BlacklistRemove,
    Changes,
    Delete,
    EmissionQr,
    Export,
    Fields,
    Get,
    History,
    Import,
    ListQuery,
    Lists,
    Lookup,
    PassAdd,
    PassRemove,
    Photo,
    Records,
    Upsert,
)
from .tabular import CSV_TYPE, XLSX_TYPE, TableError, detect_format, write_table
from .transfer import (
    ParsedFile,
    export_rows,
    parse_blacklist_file,
    parse_register_file,
    parse_register_records,
)
from .validate import RecordError
from .worker import async_parse_file

WRITERS = {Role.OFFICER}
READERS = {Role.GUARD, Role.INSPECTOR, Role.OFFICER}
AUDITORS = {Role.INSPECTOR, Role.OFFICER}
UPLINK = {Role.INSPECTOR, Role.ENGINEER, Role.OFFICER}

Handler = Callable[[ServiceCall], Awaitable[Any]]


def _clear_errors(name: str, handler: Handler) -> Handler:
    """Bad input becomes a ServiceValidationError naming the field, so every door shows it the same way."""

    @functools.wraps(handler)
    async def wrapped(call: ServiceCall) -> Any:
        try:
            return await handler(call)
        except RecordError as err:
            raise ServiceValidationError(
                DOMAIN, name, [(f"record.{f}" if f else "record", r) for f, r in err.errors]
            ) from None
        except (TableError, CodeError) as err:
            raise ServiceValidationError(DOMAIN, name, [("", str(err))]) from None

    return wrapped


def actor_of(call: ServiceCall, source: str | None = None) -> Actor:
    return Actor(
        user_id=call.context.user_id,
        door=call.door,
        source=source or f"{call.domain}.{call.service}",
        context=call.context,
    )


def _local_path(call: ServiceCall, path: str) -> Path:
    # A server-side path reads or writes the hub's own disk: only the hub itself (command line,
    # automations) may name one; people send the file's content instead.
    if call.context.user_id is not None:
        raise Unauthorized(
            "只有本机可指定文件路径 a file path is accepted only from the hub itself; send the content"
        )
    return Path(path).expanduser().resolve()


def _aware(moment: datetime | None, hub: Hub) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=hub.clock.tz)


async def async_read_file(
    hub: Hub, call: ServiceCall, path: str | None, content: bytes | None
) -> tuple[bytes, str | None]:
    if path is not None:
        file = _local_path(call, path)
        try:
            return await hub.async_add_executor_job(file.read_bytes), file.name
        except OSError as err:
            raise HubError(f"无法读取文件 cannot read {file}: {err.strerror}") from None
    return content or b"", None


async def async_export(
    register: Register, vclass: VehicleClass, fmt: str, labels: bool = True
) -> tuple[bytes, str, int]:
    records = [e.record for e in await register.async_entries(vclass)]

    def build() -> bytes:  # records are replaced in the index, never changed: safe to read here
        headers, rows = export_rows(vclass, records, labels)
        return write_table(fmt, vclass.label, headers, rows)

    content = await register.hub.async_add_executor_job(build)
    stamp = register.hub.now().strftime("%Y%m%d_%H%M%S")
    return content, f"{vclass.label}_{stamp}.{fmt}", len(records)


async def async_parse_import(
    register: Register, vclass: VehicleClass, content: bytes | None, name: str | None, fmt: str | None,
    records: list[dict[str, Any]] | None = None,
) -> Any:  # fmt: skip
    rules = register.rules()
    if records is not None:  # already parsed by the door (JSON): only validated here
        return await register.hub.async_add_executor_job(parse_register_records, vclass, records, rules)
    assert content is not None
    memory, max_rows = register.config.import_memory_mb, register.config.max_import_rows
    return await async_parse_file(
        register.hub, memory, content, parse_register_file, vclass, content, name, fmt, max_rows, rules
    )


async def async_parse_blacklist(register: Register, content: bytes, fmt: str) -> ParsedFile:
    limits, tz = register.config, register.hub.clock.tz
    return await async_parse_file(
        register.hub, limits.import_memory_mb, content, parse_blacklist_file, content, fmt,
        limits.max_import_rows, tz,
    )  # fmt: skip


def register_services(hub: Hub, register: Register) -> None:
    async def lookup(call: ServiceCall) -> dict[str, Any] | None:
        d: Lookup = call.data
        return register.lookup(d.plate, d.colour, d.code, d.tag)

    async def upsert(call: ServiceCall) -> dict[str, Any]:
        d: Upsert = call.data
        return await register.async_upsert(
            d.vclass, d.record, actor_of(call), merge=d.mode == "merge", photos=d.photos
        )

    async def delete(call: ServiceCall) -> dict[str, Any]:
        d: Delete = call.data
        source = f"vehicles.delete 删除原因: {d.reason.strip()}" if d.reason and d.reason.strip() else None
        return await register.async_delete(d.vclass, d.key, actor_of(call, source))

    async def import_(call: ServiceCall) -> dict[str, Any]:
        d: Import = call.data
        content, name = (
            (None, None) if d.records is not None else await async_read_file(hub, call, d.path, d.content)
        )
        name = d.filename or name
        source = f"import {name}" if name else "import"
        with collector_paused():  # what the import builds would make full collections stall the gate
            parsed = await async_parse_import(register, d.vclass, content, name, d.format, d.records)
            return await register.async_import(d.vclass, parsed, actor_of(call, source), dry_run=d.dry_run)

    async def export(call: ServiceCall) -> dict[str, Any]:
        d: Export = call.data
        content, filename, rows = await async_export(register, d.vclass, d.format, d.labels)
        if d.path is not None:
            target = _local_path(call, d.path)
            await hub.async_add_executor_job(write_atomic, target, content)
            return {"path": str(target), "rows": rows}
        kind = XLSX_TYPE if d.format == "xlsx" else CSV_TYPE
        return {"filename": filename, "content_type": kind, "content": content, "rows": rows}

    async def list_(call: ServiceCall) -> dict[str, Any]:
        d: ListQuery = call.data
        now_ts = hub.now().timestamp()
        q = (d.q or "").strip().upper()

        def keep(e: Any) -> bool:
            r = e.record
            if d.fleet and r.get("fleet") != d.fleet:
                return False
            if d.emission_stage and r.get("emission_stage") != d.emission_stage.upper():
                return False
            if d.fuel and r.get("fuel") != d.fuel.upper():
                return False
            if d.whitelist and r.get("whitelist") != d.whitelist:
                return False
            if d.blacklisted is not None and _banned(e, now_ts) != d.blacklisted:
                return False
            if q:
                text = " ".join(
                    str(r.get(n) or "")
                    for n in ("plate", "env_code", "internal_no", "vin", "fleet", "owner", "rfid_tag")
                )
                return q in text.upper()
            return True

        found = [e async for e in async_sliced(await register.async_entries(d.vclass)) if keep(e)]
        start = (d.page - 1) * d.page_size
        items = [e.public() | {"blacklisted": _banned(e, now_ts)} for e in found[start : start + d.page_size]]
        return {"total": len(found), "items": items, "page": d.page, "page_size": d.page_size}

    def _banned(entry: Any, now_ts: float) -> bool:
        item = register.index.blacklist.get(entry.record.get("plate") or "")
        return item is not None and item.active(now_ts)

    async def get(call: ServiceCall) -> dict[str, Any] | None:
        d: Get = call.data
        entry = register.find(d.key, d.vclass)
        return None if entry is None else entry.public()

    async def records(call: ServiceCall) -> dict[str, Any]:
        d: Records = call.data
        since = d.changed_since_ts if d.changed_since_ts is not None else -1
        entries = await register.async_entries(d.vclass)
        changed = [e async for e in async_sliced(entries) if e.updated_ts > since]
        changed.sort(key=attrgetter("updated_ts"))  # stable: by class and key within one moment
        items = [e.public() async for e in async_sliced(changed)]
        gone = VehicleHistory.filter(action="deleted", changed_ts__gt=since)
        gone = (
            gone.filter(vclass=d.vclass.value)
            if d.vclass
            else gone.filter(vclass__in=[c.value for c in VehicleClass])
        )
        deleted = [
            {"class": row["vclass"], "key": row["key"], "changed_ts": row["changed_ts"]}
            for row in await gone.order_by("id").values("vclass", "key", "changed_ts")
            if register.find(row["key"], VehicleClass(row["vclass"])) is None
        ]
        return {"items": items, "deleted": deleted, "now_ts": int(hub.now().timestamp())}

    async def changes(call: ServiceCall) -> dict[str, Any]:
        d: Changes = call.data
        after = d.after_id if d.since_ts is None else await feed.async_first_id_since(hub, d.since_ts)
        return await feed.async_changes(hub, after, d.limit)

    async def history(call: ServiceCall) -> dict[str, Any]:
        from .history import async_history

        return await async_history(call.data)

    async def blacklist_add(call: ServiceCall) -> dict[str, Any]:
        d: BlacklistAdd = call.data
        return await lists.async_blacklist_add(
            register, d.plate, d.colour, d.reason, d.source, _aware(d.valid_until, hub), actor_of(call)
        )

    async def blacklist_remove(call: ServiceCall) -> dict[str, Any]:
        return await lists.async_blacklist_remove(register, call.data.plate, actor_of(call))

    async def review_mark_add(call: ServiceCall) -> dict[str, Any]:
        d: BlacklistAdd = call.data
        return await lists.async_blacklist_add(
            register, d.plate, d.colour, d.reason, d.source, _aware(d.valid_until, hub), actor_of(call),
            KIND_REVIEW,
        )  # fmt: skip

    async def review_mark_remove(call: ServiceCall) -> dict[str, Any]:
        return await lists.async_blacklist_remove(register, call.data.plate, actor_of(call), KIND_REVIEW)

    async def blacklist_import(call: ServiceCall) -> dict[str, Any]:
        d: BlacklistImport = call.data
        content, name = await async_read_file(hub, call, d.path, d.content)
        name = d.filename or name
        fmt = detect_format(content, name, d.format)
        parsed = await async_parse_blacklist(register, content, fmt)
        actor = actor_of(call, f"blacklist import {name}" if name else "blacklist import")
        return await lists.async_blacklist_import(
            register, parsed, d.source, d.replace, actor, dry_run=d.dry_run
        )

    async def pass_add(call: ServiceCall) -> dict[str, Any]:
        d: PassAdd = call.data
        return await lists.async_pass_add(
            register, d.plate, d.colour, _aware(d.valid_from, hub), _aware(d.valid_until, hub),  # type: ignore[arg-type]  # valid_until is required
            d.reason, d.approver, actor_of(call),
        )  # fmt: skip

    async def pass_remove(call: ServiceCall) -> dict[str, Any]:
        d: PassRemove = call.data
        return await lists.async_pass_remove(register, d.id, d.plate, actor_of(call))

    async def lists_(call: ServiceCall) -> list[dict[str, Any]]:
        d: Lists = call.data
        return lists.list_entries(register, d.kind, d.plate, d.active_only)

    async def photo(call: ServiceCall) -> dict[str, Any]:
        d: Photo = call.data
        try:
            kind, data = await hub.async_add_executor_job(register.photos.read, d.sha256)
        except FileNotFoundError:
            raise HubError(f"照片不存在 no photo {d.sha256}") from None
        return {"content_type": kind, "data": data}

    async def fields(call: ServiceCall) -> dict[str, Any]:
        # With how to read its refusals back into codes: a page words them in its own language.
        return {**form_tables(), "problems": list(patterns())}

    async def parse_emission_qr(call: ServiceCall) -> dict[str, Any]:
        from .qr import async_parse_emission_qr

        d: EmissionQr = call.data
        return await async_parse_emission_qr(hub, d.text, d.photo, d.vclass)

    table: list[tuple[str, Handler, type, set[Role], str]] = [
        ("lookup", lookup, Lookup, READERS, "查询车辆 look a plate or code up in the register"),
        ("upsert", upsert, Upsert, WRITERS, "登记/修改车辆 add or change a record"),
        ("delete", delete, Delete, WRITERS, "删除车辆 delete a record"),
        ("import", import_, Import, WRITERS, "批量导入 import .xlsx/.csv"),
        ("export", export, Export, AUDITORS, "导出 export .xlsx/.csv"),
        ("list", list_, ListQuery, READERS, "车辆列表 list and search records"),
        ("get", get, Get, READERS, "车辆详情 one record"),
        ("records", records, Records, UPLINK, "变更记录 records changed since (for the uplink)"),
        ("history", history, History, AUDITORS, "修改历史 change history"),
        ("changes", changes, Changes, UPLINK, "变更流 changes in commit order, past an id"),
        ("blacklist_add", blacklist_add, BlacklistAdd, WRITERS, "加入黑名单 blacklist a plate"),
        ("blacklist_remove", blacklist_remove, BlacklistRemove, WRITERS, "移出黑名单 take a plate off"),
        ("blacklist_import", blacklist_import, BlacklistImport, WRITERS, "导入平台黑名单 import a blacklist"),
        ("review_mark_add", review_mark_add, BlacklistAdd, WRITERS, "标记待复核 send a plate to review"),
        ("review_mark_remove", review_mark_remove, BlacklistRemove, WRITERS, "取消复核标记 end a mark"),
        ("pass_add", pass_add, PassAdd, WRITERS, "临时通行证 issue a temporary pass"),
        ("pass_remove", pass_remove, PassRemove, WRITERS, "撤销临时通行证 end a temporary pass"),
        ("lists", lists_, Lists, READERS, "黑名单与通行证 blacklist and passes"),
        ("photo", photo, Photo, READERS, "证件照片 a document photo"),
        ("fields", fields, Fields, READERS | {Role.ENGINEER}, "台账字段 the fields of each class, for forms"),
        ("parse_emission_qr", parse_emission_qr, EmissionQr, WRITERS, "读取随车清单二维码 read the QR code"),
    ]
    for name, handler, schema, roles, description in table:
        hub.services.async_register(
            DOMAIN, name, _clear_errors(name, handler), schema, roles=roles, description=description
        )
