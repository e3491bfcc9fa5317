"""The register at run time: the in-memory index, and every write (records and lists) with its history.

A write is planned against the index, committed in short transactions (COMMIT_CHUNK changes each)
together with its history rows, then applied to the index and announced (`register_changed`). Writes are
serialised by one lock; lookups never wait for it. The hub is the database's one writer: the `ecogate
vehicles` command goes through its services too (hub/core/control.py), so the index is never behind the
table. The history table doubles as a change feed the uplink reads through `vehicles.changes` (feed.py).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub.core import Context, Hub, HubError
from hub.core.context import ulid_now
from hub.core.events import RegisterChangedData
from hub.util.plate import normalise_plate

from .codes import clean, machine_type_index, vehicle_type_index
from .config import VehiclesConfig
from .const import ACTION_CREATED, ACTION_DELETED, ACTION_UPDATED, EVENT_REGISTER_CHANGED, REGISTER_DIR
from .fields import PHOTO_FIELDS, VehicleClass, fold_header, header_index
from .index import KIND_BLACKLIST, KIND_PASS, KIND_REVIEW, Entry, ListEntry, RegisterIndex
from .models import VehicleListRow, VehicleRow
from .pacing import async_release, async_sliced, breathing
from .photos import PhotoStore
from .problems import problem
from .transfer import ParsedFile
from .validate import RecordError, Rules, codes_of, record_key, validate_record

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")
INLINE_CHANGES = 200  # more changes than this are planned and prepared in the executor
COMMIT_CHUNK = 2000  # changes a transaction: ~50-100 ms of the database's one writer
CLASSES = tuple(c.value for c in VehicleClass)
LIST_KINDS = (KIND_BLACKLIST, KIND_PASS, KIND_REVIEW)
_COLUMNS = (
    "vclass", "key", "plate", "env_code", "internal_no", "colour", "vin", "vehicle_type", "fuel",
    "emission_stage", "fleet", "whitelist", "rfid_tag", "data", "updated_ts",
)  # fmt: skip
LIST_COLUMNS = ("plate", "colour", "reason", "source", "valid_from_ts", "valid_until_ts", "approver")
HISTORY_COLUMNS = (
    "vclass", "key", "record_id", "action", "changed_ts", "changed_at", "user_id", "username", "door",
    "source", "context_id", "origin", "old", "new", "changes",
)  # fmt: skip


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes the register, for the history and the event."""

    user_id: str | None = None
    door: str = "internal"
    source: str | None = None  # service name, imported file, `cli:<os user>`
    context: Context | None = None


@dataclass(slots=True)
class Change:
    action: str
    vclass: str  # a vehicle class, or blacklist / pass
    key: str
    entry_id: int  # 0 until a created row gets its id
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    row: int | None = None  # the file row it came from

    @property
    def is_list(self) -> bool:
        return self.vclass in LIST_KINDS


class Register:
    def __init__(self, hub: Hub, config: VehiclesConfig) -> None:
        self.hub = hub
        self.config = config
        self.index = RegisterIndex()
        self.photos = PhotoStore(hub.data_dir / REGISTER_DIR)
        self.origin = ulid_now()  # which run of the hub wrote a history row
        self.lock = asyncio.Lock()
        self._vehicle_types = vehicle_type_index(config.extra_vehicle_types)
        self._machine_types = machine_type_index(config.extra_machine_types)
        self._sorted: dict[VehicleClass | None, tuple[int, list[Entry]]] = {}

    def rules(self) -> Rules:
        return Rules(
            today=self.hub.now().date(),
            vin_check_digit=self.config.vin_check_digit,
            require_documents=self.config.require_documents,
            vehicle_types=self._vehicle_types,
            machine_types=self._machine_types,
            photo_exists=self.photos.exists,
        )

    # ----- start --------------------------------------------------------------------------------------
    async def async_load(self) -> None:
        rows = await VehicleRow.all().values_list("id", "vclass", "key", "data", "created_ts", "updated_ts")
        lists = await VehicleListRow.all()
        index = await self.hub.async_add_executor_job(_build_index, rows)
        for item in lists:
            index.put_list(self._list_entry(item))
        self.index = index
        self._sorted.clear()
        _LOGGER.info("Register loaded: %d records, %d list entries", len(index.entries), len(index.lists))

    # ----- reads --------------------------------------------------------------------------------------
    def lookup(
        self, plate: str | None, colour: str | None = None, code: str | None = None, tag: str | None = None
    ) -> dict[str, Any] | None:
        return self.index.lookup(
            normalise_plate(plate) if plate else None,
            colour or None,
            clean(code).upper().replace(" ", "") if code else None,
            self.hub.now().timestamp(),
            clean(tag).upper().replace(" ", "") if tag else None,
        )

    def find(self, key: str, vclass: VehicleClass | None = None) -> Entry | None:
        text = clean(key)
        return self.index.find(normalise_plate(text), vclass) or self.index.find(
            text.upper().replace(" ", ""), vclass
        )

    async def async_entries(self, vclass: VehicleClass | None = None) -> list[Entry]:
        """Records by class and key; kept sorted between changes, for paging through a big register.

        After a change the order is made again in the executor (100 ms for 100,000 records), the
        entries taken from the index in slices on the loop.
        """
        cached = self._sorted.get(vclass)
        version = self.index.version
        if cached is None or cached[0] != version:
            found = [
                e async for e in async_sliced(list(self.index.entries.values()))
                if vclass is None or e.vclass is vclass
            ]  # fmt: skip
            by_key = functools.partial(sorted, key=_by_class_and_key)
            ordered = await self.hub.async_add_executor_job(by_key, found)
            cached = self._sorted[vclass] = (version, ordered)
        return list(cached[1])

    # ----- record writes ------------------------------------------------------------------------------
    async def async_upsert(
        self,
        vclass: VehicleClass,
        given: Mapping[str, Any],
        actor: Actor,
        *,
        merge: bool = True,
        photos: Mapping[str, bytes] | None = None,
    ) -> dict[str, Any]:
        """Create or change one record; with merge, fields not given keep their stored value."""
        headers = header_index(vclass)
        raw = {headers.get(fold_header(k), k): v for k, v in given.items()}
        for name, content in (photos or {}).items():
            if name not in PHOTO_FIELDS[vclass]:
                raise RecordError(
                    [(name, f"不是照片字段 not a photo field of {vclass.value}: {PHOTO_FIELDS[vclass]}")]
                )
            try:
                raw[name] = await self.hub.async_add_executor_job(self.photos.put, content)
            except ValueError as err:
                raise RecordError([(name, str(err))]) from None
        async with self.lock:
            existing = self._match_raw(vclass, raw)
            if merge and existing is not None:
                raw = {**existing.record, **raw}
            record = validate_record(vclass, raw, self.rules())
            report = ParsedFile()
            changes = self._plan(vclass, [(1, record)], report)
            if report.errors:
                raise RecordError([("", e["reason"]) for e in report.errors])
            await self.async_commit(changes, actor)
        entry = self.index.find(record_key(vclass, record), vclass)
        assert entry is not None
        action = changes[0].action if changes else "unchanged"
        return {"action": action, "class": vclass.value, "key": entry.key, "record": entry.public()}

    async def async_delete(self, vclass: VehicleClass, key: str, actor: Actor) -> dict[str, Any]:
        async with self.lock:
            entry = self.find(key, vclass)
            if entry is None:
                raise HubError(problem("not_in_register", vclass=vclass.value, key=key))
            change = Change(ACTION_DELETED, vclass.value, entry.key, entry.id, entry.record, None)
            await self.async_commit([change], actor)
        return {"action": ACTION_DELETED, "class": vclass.value, "key": entry.key}

    async def async_import(
        self, vclass: VehicleClass, parsed: ParsedFile, actor: Actor, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Commit the valid rows of a parsed file (`async_commit`); the report names every bad row."""
        total = len(parsed.items) + len(parsed.errors)
        async with self.lock:
            changes = await self._off_loop(
                len(parsed.items) > INLINE_CHANGES, self._plan, vclass, parsed.items, parsed
            )
            if changes and not dry_run:
                await self.async_commit(changes, actor)
        count = {a: sum(c.action == a for c in changes) for a in (ACTION_CREATED, ACTION_UPDATED)}
        accepted = total - len(parsed.errors)
        return {
            "class": vclass.value, "total": total, "created": count[ACTION_CREATED],
            "updated": count[ACTION_UPDATED], "unchanged": accepted - len(changes),
            "rejected": len(parsed.errors), "errors": sorted(parsed.errors, key=lambda e: e["row"]),
            "warnings": parsed.warnings, "dry_run": dry_run,
        }  # fmt: skip

    def _match_raw(self, vclass: VehicleClass, raw: Mapping[str, Any]) -> Entry | None:
        """The stored record of this class that the (not yet validated) fields name, for a merge."""
        probe: dict[str, Any] = {}
        if isinstance(raw.get("plate"), str) and raw["plate"].strip():
            probe["plate"] = normalise_plate(raw["plate"])
        for name in ("env_code", "internal_no"):
            if raw.get(name) not in (None, ""):
                probe[name] = clean(raw[name]).upper().replace(" ", "")
        owners = [e for e in self.index.claimants(probe) if e.vclass is vclass]
        return owners[0] if len(owners) == 1 else None

    def _plan(
        self, vclass: VehicleClass, items: Iterable[tuple[int, dict[str, Any]]], report: ParsedFile
    ) -> list[Change]:
        """What the valid records change; conflicts are added to the report by row."""
        claimed: dict[str, int] = {}
        touched: dict[int, int] = {}
        changes: list[Change] = []
        for row, record in breathing(items):
            names = [n for n in (record.get("plate"), *codes_of(record), record.get("rfid_tag")) if n]
            twin = next((claimed[n] for n in names if n in claimed), None)
            if twin is not None:
                report.fail(row, problem("row_twin", row=twin))
                continue
            owners = self.index.claimants(record)
            if len(owners) > 1:
                keys = ", ".join(f"{o.vclass.label} {o.key}" for o in owners)
                report.fail(row, problem("row_split", keys=keys))
                continue
            owner = owners[0] if owners else None
            holder = self.index.by_tag.get(record.get("rfid_tag") or "")
            if holder is not None and holder is not owner:
                report.fail(row, problem("tag_taken", key=holder.key))
                continue
            if owner is not None and owner.vclass is not vclass:
                report.fail(
                    row,
                    f"{owner.key}已登记为{owner.vclass.label} already registered as {owner.vclass.value}; "
                    "delete it there first",
                )
                continue
            if owner is not None and owner.id in touched:
                report.fail(row, problem("row_same_record", row=touched[owner.id]))
                continue
            claimed.update(dict.fromkeys(names, row))
            key = record_key(vclass, record)
            if owner is None:
                changes.append(Change(ACTION_CREATED, vclass.value, key, 0, None, record, row))
            elif owner.record != record or owner.key != key:
                touched[owner.id] = row
                changes.append(Change(ACTION_UPDATED, vclass.value, key, owner.id, owner.record, record, row))
            else:
                touched[owner.id] = row
        return changes

    # ----- the transaction ----------------------------------------------------------------------------
    async def async_commit(self, changes: list[Change], actor: Actor) -> None:
        """Write planned changes and their history; the caller holds `lock`.

        Every change was validated and planned before the first is written. They are written in
        transactions of COMMIT_CHUNK: the ledger shares the database's one writer, and a passage's
        commit (which the barrier waits for) must not wait seconds behind a 100,000-row import. Should a
        later chunk fail (a full disk), the error says how many changes were written before it; importing
        the same file again finishes the job, since unchanged records are left alone.
        """
        now = self.hub.now()
        for start in range(0, len(changes), COMMIT_CHUNK):
            try:
                await self._async_commit_chunk(changes[start : start + COMMIT_CHUNK], actor, now)
            except HubError as err:
                if not start:
                    raise
                written = f"{start} of {len(changes)} changes were written before this"
                raise HubError(f"{err} — {written}") from None

    async def _async_commit_chunk(self, changes: list[Change], actor: Actor, now: datetime) -> None:
        if not changes:
            return
        ts = int(now.timestamp())
        at = now.isoformat(timespec="seconds")
        username = None
        if actor.user_id is not None and (user := self.hub.auth.get(actor.user_id)) is not None:
            username = user.username
        # A big import is prepared and applied off the loop, so gate lookups keep flowing meanwhile.
        offload = len(changes) > INLINE_CHANGES
        prepared = await self._off_loop(offload, self._prepare, changes, ts, at, actor, username)
        try:
            async with in_transaction() as conn:
                await self._assign_ids(conn, changes)
                statements = await self._off_loop(offload, self._statements, changes, prepared, ts, actor)
                for sql, params in statements:
                    await conn.execute_many(sql, params)
        except IntegrityError as err:
            _LOGGER.warning("Register write refused by the database: %s", err)
            raise HubError(f"数据库拒绝写入 the database refused the change ({err})") from None
        built = await self._off_loop(offload, self._build, changes, ts, actor.user_id)
        async for change, item in async_sliced(zip(changes, built, strict=True)):
            if item is None:
                (self.index.remove_list if change.is_list else self.index.remove)(change.entry_id)
            elif isinstance(item, ListEntry):
                self.index.put_list(item)
            else:
                self.index.put(item)
            self._announce(change, ts, actor.user_id, actor.context)
        await async_release(prepared, *(params for _, params in statements), built)

    async def _off_loop(self, offload: bool, func: Callable[..., _T], *args: Any) -> _T:
        return await self.hub.async_add_executor_job(func, *args) if offload else func(*args)

    def _prepare(
        self, changes: list[Change], ts: int, at: str, actor: Actor, username: str | None
    ) -> list[tuple[list[Any] | None, list[Any]]]:
        """Per change: the vehicle row's column values (None for lists and deletes) and its history row."""
        return [
            (
                list(_vehicle_columns(c, ts).values())
                if not c.is_list and c.action != ACTION_DELETED
                else None,
                self._history(c, ts, at, actor, username),
            )
            for c in breathing(changes)
        ]

    def _build(self, changes: list[Change], ts: int, user_id: str | None) -> list[Entry | ListEntry | None]:
        """The index entries the committed changes make (None: removed)."""
        built: list[Entry | ListEntry | None] = []
        for change in breathing(changes):
            if change.action == ACTION_DELETED:
                built.append(None)
            elif change.is_list:
                old = self.index.lists.get(change.entry_id)
                row = VehicleListRow(
                    id=change.entry_id, kind=change.vclass, created_ts=old.created_ts if old else ts,
                    user_id=old.user_id if old else user_id, **_list_columns(change),
                )  # fmt: skip
                built.append(self._list_entry(row))
            else:
                previous = self.index.entries.get(change.entry_id)
                created = previous.created_ts if previous else ts
                vclass = VehicleClass(change.vclass)
                built.append(Entry(change.entry_id, vclass, change.key, change.new or {}, created, ts))
        return built

    async def _assign_ids(self, conn: Any, changes: list[Change]) -> None:
        for table, is_list in (("vehicle", False), ("vehicle_list", True)):
            new = [c for c in changes if c.action == ACTION_CREATED and c.is_list == is_list]
            if not new:
                continue
            # Never reuse the id of a deleted row: its history still names it.
            kinds = ", ".join(f"'{k}'" for k in (LIST_KINDS if is_list else CLASSES))
            _, rows = await conn.execute_query(f"SELECT MAX(id) FROM {table}")
            _, hist = await conn.execute_query(
                f"SELECT MAX(record_id) FROM vehicle_history WHERE vclass IN ({kinds})"
            )
            next_id = max(int(rows[0][0] or 0), int(hist[0][0] or 0)) + 1
            for offset, change in enumerate(new):
                change.entry_id = next_id + offset

    def _statements(
        self,
        changes: list[Change],
        prepared: list[tuple[list[Any] | None, list[Any]]],
        ts: int,
        actor: Actor,
    ) -> list[tuple[str, list[list[Any]]]]:
        """The transaction's statements with their parameter rows, once ids are assigned.

        Plain statements for execute_many: building ORM objects costs more than the database work.
        """
        out: list[tuple[str, list[list[Any]]]] = []
        for table, is_list in (("vehicle", False), ("vehicle_list", True)):
            gone = [[c.entry_id] for c in changes if c.action == ACTION_DELETED and c.is_list == is_list]
            out.append((self._sql(f'DELETE FROM "{table}" WHERE "id" = ?'), gone))
        rows = list(breathing(zip(changes, prepared, strict=True)))
        updated = [[*cols, c.entry_id] for c, (cols, _) in rows if c.action == ACTION_UPDATED and cols]
        out.append((self._update_sql("vehicle", _COLUMNS), updated))
        relisted = [
            [*_list_columns(c).values(), c.entry_id]
            for c in changes
            if c.action == ACTION_UPDATED and c.is_list
        ]
        out.append((self._update_sql("vehicle_list", LIST_COLUMNS), relisted))
        created = [[c.entry_id, ts, *cols] for c, (cols, _) in rows if c.action == ACTION_CREATED and cols]
        out.append((self._insert_sql("vehicle", ("id", "created_ts", *_COLUMNS)), created))
        listed = [
            [c.entry_id, c.vclass, ts, actor.user_id, *_list_columns(c).values()]
            for c in changes
            if c.action == ACTION_CREATED and c.is_list
        ]
        list_columns = ("id", "kind", "created_ts", "user_id", *LIST_COLUMNS)
        out.append((self._insert_sql("vehicle_list", list_columns), listed))
        for change, (_, history) in breathing(rows):
            history[2] = change.entry_id  # a created row's id is known only now
        out.append((self._insert_sql("vehicle_history", HISTORY_COLUMNS), [h for _, (_, h) in rows]))
        return [(sql, params) for sql, params in out if params]

    def _sql(self, text: str) -> str:
        """`?` placeholders, numbered for PostgreSQL."""
        assert self.hub.db is not None
        if self.hub.db.dialect != "postgres":
            return text
        parts = text.split("?")
        return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]

    def _update_sql(self, table: str, columns: tuple[str, ...]) -> str:
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        return self._sql(f'UPDATE "{table}" SET {sets} WHERE "id" = ?')

    def _insert_sql(self, table: str, columns: tuple[str, ...]) -> str:
        names = ", ".join(f'"{c}"' for c in columns)
        return self._sql(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})')

    def _history(self, change: Change, ts: int, at: str, actor: Actor, username: str | None) -> list[Any]:
        """One history row, its values in HISTORY_COLUMNS order."""
        old, new = change.old, change.new
        names = dict.fromkeys([*(old or {}), *(new or {})])
        diff = {
            n: [(old or {}).get(n), (new or {}).get(n)]
            for n in names
            if (old or {}).get(n) != (new or {}).get(n)
        }
        source = (
            actor.source if change.row is None or not actor.source else f"{actor.source} row {change.row}"
        )
        return [
            change.vclass, change.key[:64], change.entry_id, change.action, ts, at, actor.user_id, username,
            actor.door[:16], (source or "")[:200] or None, actor.context.id if actor.context else None,
            self.origin, None if old is None else canonical_json(old),
            None if new is None else canonical_json(new), canonical_json(diff),
        ]  # fmt: skip

    def _announce(self, change: Change, ts: int, user_id: str | None, context: Context | None) -> None:
        if change.is_list:
            item = self.index.lists.get(change.entry_id)
            record = item.public() if item else {"kind": change.vclass, **(change.old or {})}
        else:
            entry = self.index.entries.get(change.entry_id)
            record = (
                entry.public() if entry else {"class": change.vclass, "key": change.key, **(change.old or {})}
            )
        data: RegisterChangedData = {
            "class": change.vclass, "key": change.key, "action": change.action, "record": record,
            "changed_ts": ts, "user_id": user_id,
        }  # fmt: skip
        self.hub.bus.async_fire(EVENT_REGISTER_CHANGED, data, context)

    def _list_entry(self, row: VehicleListRow) -> ListEntry:
        tz = self.hub.clock.tz

        def iso(value: int | None) -> str | None:
            return None if value is None else datetime.fromtimestamp(value, tz).isoformat(timespec="seconds")

        return ListEntry(
            id=row.id, kind=row.kind, plate=row.plate, colour=row.colour, reason=row.reason,
            source=row.source, valid_from_ts=row.valid_from_ts, valid_until_ts=row.valid_until_ts,
            valid_from=iso(row.valid_from_ts), valid_until=iso(row.valid_until_ts), approver=row.approver,
            created_ts=row.created_ts, user_id=row.user_id,
        )  # fmt: skip


def _by_class_and_key(entry: Entry) -> tuple[str, str]:
    return entry.vclass.value, entry.key


def _vehicle_columns(change: Change, ts: int) -> dict[str, Any]:
    r = change.new or {}
    return {
        "vclass": change.vclass, "key": change.key, "plate": r.get("plate"), "env_code": r.get("env_code"),
        "internal_no": r.get("internal_no"), "colour": r.get("colour"), "vin": r.get("vin"),
        "vehicle_type": r.get("vehicle_type") or r.get("machine_type"), "fuel": r.get("fuel"),
        "emission_stage": r.get("emission_stage"), "fleet": r.get("fleet"), "whitelist": r.get("whitelist"),
        "rfid_tag": r.get("rfid_tag"), "data": canonical_json(r), "updated_ts": ts,
    }  # fmt: skip


def _list_columns(change: Change) -> dict[str, Any]:
    """A list change's `new` is the row's columns."""
    new = change.new or {}
    return {name: new.get(name) for name in LIST_COLUMNS}


def _entry(entry_id: int, vclass: str, key: str, data: str, created_ts: int, updated_ts: int) -> Entry:
    return Entry(entry_id, VehicleClass(vclass), key, json.loads(data), int(created_ts), int(updated_ts))


def _build_index(rows: list[tuple[Any, ...]]) -> RegisterIndex:
    index = RegisterIndex()
    for row in rows:
        try:
            index.put(_entry(*row))
        except (ValueError, TypeError) as err:  # a row damaged by hand must not keep the hub from starting
            _LOGGER.error("Register row %s cannot be read and is left out: %s", row[0], err)
    return index
