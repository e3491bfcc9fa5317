"""The register page (车辆台账): the three classes of mobile source, the blacklist and temporary passes.

Server-rendered forms (post, then redirect back), so it works in any browser of the control room. Every
read and write is a `vehicles.*` service call as the signed-in user: the service registry decides who may
change what, and audits it; the page only hides the buttons a user could not use.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import BodyPartReader, web

from . import register_photos
from .pages import CallFailed, _page_links, call, message_page, page, render, services_for
from .plain import plant_time
from .posted import FORM_ERRORS, posted_form, unreadable_form
from .register_i18n import coded_words, identify, in_words, tables_in
from .responses import ui_of

_LOGGER = logging.getLogger(__name__)
CLASSES = ("transport", "in_plant", "machinery")
LIST_TABS = ("blacklist", "pass")
TABS = (*CLASSES, *LIST_TABS)
FORMATS = {"xlsx", "csv"}
ACTIONS = (
    "vehicles.list", "vehicles.get", "vehicles.upsert", "vehicles.delete", "vehicles.import",
    "vehicles.export", "vehicles.history", "vehicles.lists", "vehicles.blacklist_add",
    "vehicles.blacklist_remove", "vehicles.pass_add", "vehicles.pass_remove", "vehicles.parse_emission_qr",
)  # fmt: skip
# Which input each field kind of the register gets; code lists become choices.
_INPUTS = {"date": "date", "onsite_date": "date", "int": "number", "float": "number"}
# A form's charset nobody knows, bytes not in its charset (a ValueError), broken multipart framing.
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # the register's own limit for a file (vehicles/tabular.py)
MAX_QR_PHOTO = 10 * 1024 * 1024  # a phone's photo of the list
TABLES: web.RequestKey[dict[str, Any]] = web.RequestKey("register_tables", dict)


async def load_tables(request: web.Request) -> None:
    """The register's field lists (Chinese headers, code lists), asked of the register once a request."""
    if TABLES not in request:
        hub = ui_of(request).hub
        tables = await hub.services.async_call("vehicles", "fields", {})
        request[TABLES] = tables_in(tables, request["t"])


def field_table(request: web.Request, vclass: str) -> list[dict[str, Any]]:
    return [{**f, "input": _INPUTS.get(f["kind"], "text")} for f in request[TABLES]["fields"][vclass]]


def photo_table(request: web.Request, vclass: str) -> list[dict[str, Any]]:
    """The class's document photo fields (name, header)."""
    return list(request[TABLES].get("photos", {}).get(vclass, []))


def class_label(request: web.Request, vclass: str) -> str:
    return request[TABLES]["classes"][vclass]


def _allowed(request: web.Request) -> dict[str, bool]:
    return {name.split(".", 1)[1]: info["allowed"] for name, info in services_for(request, *ACTIONS).items()}


def _tab(request: web.Request) -> str:
    return request.query.get("tab") or request.match_info.get("vclass") or "transport"


def not_in_register(request: web.Request, what: str) -> web.Response:
    """A 404 page naming what is not there (a class, a tab, a record), in the user's language."""
    return message_page(request, 404, "register.title", request["t"]("register.not_found", record=what))


def _back(tab: str, **extra: Any) -> str:
    return "/vehicles?" + urlencode({"tab": tab, **{k: v for k, v in extra.items() if v not in (None, "")}})


def _flash(request: web.Request) -> str | None:
    key = request.query.get("done")
    return request["t"](f"register.done.{key}", key) if key else None


@page("vehicles")
async def register_page(request: web.Request) -> web.Response:
    hub = ui_of(request).hub
    if not hub.services.has_service("vehicles", "list"):
        return render(request, "register.html", page="vehicles", configured=False, tab="transport")
    tab = _tab(request)
    if tab not in TABS:
        return not_in_register(request, tab)
    await load_tables(request)
    allowed = _allowed(request)
    context: dict[str, Any] = {"configured": True, "tab": tab, "allowed": allowed, "flash": _flash(request)}
    context["classes"] = [(c, class_label(request, c)) for c in CLASSES]
    context["error"], context["fields"], status = None, [], 200
    if tab in CLASSES:  # the search form's choices, also when the search itself is refused
        context["columns"] = _columns(request, tab)
        context["choices"] = {f["name"]: f["choices"] for f in field_table(request, tab) if f["choices"]}
    try:
        if tab in CLASSES:
            q = request.query
            data: dict[str, Any] = {"class": tab, "page": _int(q.get("page"), 1), "page_size": 50}
            for key in ("q", "emission_stage", "fuel", "fleet"):
                if (q.get(key) or "").strip():
                    data[key] = q[key].strip()
            context["result"] = await call(request, "vehicles", "list", data)
            context["page_links"] = _page_links(request, context["result"])
        else:
            context["entries"] = await call(
                request, "vehicles", "lists", {"kind": tab, "active_only": request.query.get("all") != "1"}
            )
            for entry in context["entries"]:  # plant time to the second, as everywhere else
                for key in ("valid_from", "valid_until"):
                    entry[f"{key}_text"] = plant_time(entry.get(key), hub.clock.tz)
    except CallFailed as err:
        context["error"], status = words(request, err.message), err.status
        context["fields"] = worded_fields(request, err.fields)
    context["show_services"] = principal_may_admin(request)
    return render(request, "register.html", status, page="vehicles", filters=request.query, **context)


def principal_may_admin(request: web.Request) -> bool:
    from hub.core.auth import Role

    return Role.ADMIN in request["principal"].user.roles


def _columns(request: web.Request, vclass: str) -> list[tuple[str, str]]:
    wanted = {
        "transport": ("plate", "colour", "vehicle_type", "vin", "fuel", "emission_stage", "fleet"),
        "in_plant": ("internal_no", "env_code", "plate", "vehicle_type", "fuel", "emission_stage", "fleet"),
        "machinery": ("env_code", "internal_no", "machine_type", "pin", "fuel", "emission_stage", "fleet"),
    }[vclass]
    headers = {f["name"]: f["header"] for f in field_table(request, vclass)}
    return [(name, headers[name]) for name in wanted]


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, int(text)) if text else default
    except ValueError:
        return default


def _label(field: dict[str, Any] | None, value: Any) -> str:
    """A field's value as shown: a code list's code by its name (柴油, not B), empty as ""."""
    if value is None or value == "":
        return ""
    if field and field.get("choices"):
        key = str(value).lower() if isinstance(value, bool) else str(value)
        return str(field["choices"].get(key, value))
    return str(value)


def _labels(request: web.Request, vclass: str, record: dict[str, Any]) -> dict[str, str]:
    """Each field as shown: code lists as their names in the page's language."""
    return {f["name"]: _label(f, record.get(f["name"])) for f in field_table(request, vclass)}


def field_header(request: web.Request, vclass: str, name: str) -> str:
    """A field's heading (a register field, a document photo, else a known field name)."""
    for f in field_table(request, vclass) + photo_table(request, vclass):
        if f["name"] == name:
            return str(f["header"])
    return request["t"](f"field.{name}", name)


# How the register names where a change came from (hub/components/vehicles/services.py, register.py):
# `<source>[ row N]`, the source a service name, `import[ <file>]` or a deletion with its reason.
_ROW = re.compile(r"(?P<source>.*) row (?P<row>\d+)", re.DOTALL)
_IMPORT = re.compile(r"import(?: (?P<file>.+))?", re.DOTALL)
_DELETE = re.compile(r"vehicles\.delete 删除原因: (?P<reason>.*)", re.DOTALL)


def source_text(request: web.Request, source: str | None) -> str:
    """A change's source in the page's language (`import row 162` is 批量导入 第 162 行); a service
    name (vehicles.upsert) stays as the audit log names it."""
    t, source, row = request["t"], source or "", ""
    if found := _ROW.fullmatch(source):
        source, row = found["source"], t("register.source.row", row=found["row"])
    if found := _IMPORT.fullmatch(source):
        source = " ".join(filter(None, (t("register.source.import"), found["file"])))
    elif found := _DELETE.fullmatch(source):
        source = t("register.source.deleted", reason=found["reason"])
    return " ".join(filter(None, (source, row)))


def words(request: web.Request, message: str) -> str:
    """One of the register's refusals in the page's language (needs `load_tables`)."""
    return in_words(request[TABLES], request["t"], message)


# The register's commonest refusals of a field, read beside the field they name: its heading is there.
_SHORT = {"required": "register.error.required", "plate_required": "register.error.required"}
_SHORT |= {f"unknown_{c}": "register.error.unknown_code" for c in ("stage", "fuel", "colour", "whitelist")}
_SHORT |= {f"unknown_{c}_type": "register.error.unknown_code" for c in ("vehicle", "machine")}


def field_problem(request: web.Request, message: str) -> str:
    found = identify(request[TABLES], message)
    if found and found[0] in _SHORT:
        return request["t"](_SHORT[found[0]], message)
    return words(request, message)


def worded_fields(request: web.Request, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, words(request, message)) for name, message in fields]


def change_rows(request: web.Request, vclass: str, changes: Any) -> list[tuple[str, str, str]]:
    """A history entry's `{field: [old, new]}` as (heading, old, new) rows a person reads: 排放阶段
    国五 → 国六, not `emission_stage: [None, '6']`."""
    if not isinstance(changes, dict):
        return []
    fields = {f["name"]: f for f in field_table(request, vclass)}
    rows = []
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        rows.append((
            field_header(request, vclass, name),
            _label(fields.get(name), old) or "—", _label(fields.get(name), new) or "—",
        ))  # fmt: skip
    return rows


@page("vehicles")
async def record_page(request: web.Request) -> web.Response:
    vclass, key = request.match_info["vclass"], request.match_info.get("key")
    if vclass not in CLASSES:
        return not_in_register(request, vclass)
    await load_tables(request)
    record: dict[str, Any] | None = None
    history = None
    if key is not None:
        try:
            record = await call(request, "vehicles", "get", {"class": vclass, "key": key})
        except CallFailed as err:
            return message_page(request, err.status, "register.title", words(request, err.message))
        if record is None:
            return not_in_register(request, key)
    allowed = _allowed(request)
    if record is not None and allowed.get("history"):
        try:
            history = await call(request, "vehicles", "history", {"class": vclass, "key": record["key"]})
        except CallFailed as err:
            history = {"error": err.message, "items": []}
        tz = ui_of(request).hub.clock.tz
        for item in history["items"]:
            item["changed_text"] = plant_time(item.get("changed_at"), tz)
            item["change_rows"] = change_rows(request, vclass, item.get("changes"))
            item["source_text"] = source_text(request, item.get("source"))
    values = {k: _form_value(v) for k, v in (record or {}).items()}
    return _record_view(request, vclass, record, values, history, allowed)


def _record_view(
    request: web.Request, vclass: str, record: dict[str, Any] | None, values: dict[str, str],
    history: dict[str, Any] | None, allowed: dict[str, bool], status: int = 200,
    error: str | None = None, errors: dict[str, str] | None = None, notice: str | None = None,
) -> web.Response:  # fmt: skip
    return render(
        request, "register_record.html", status=status, page="vehicles", vclass=vclass,
        class_label=class_label(request, vclass), record=record,
        shown=_labels(request, vclass, record or {}), form_fields=field_table(request, vclass),
        photo_fields=photo_table(request, vclass), values=values, history=history, allowed=allowed,
        error=error, errors=errors or {},
        flash=notice or _flash(request),
    )  # fmt: skip


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@page("vehicles")
async def save_record(request: web.Request) -> web.StreamResponse:
    vclass = request.match_info["vclass"]
    if vclass not in CLASSES:
        return not_in_register(request, vclass)
    await load_tables(request)
    form = await posted_form(request, "register.title")
    if isinstance(form, web.Response):
        return form
    fields = field_table(request, vclass)
    values = {f["name"]: str(form.get(f["name"], "")).strip() for f in fields}
    record: dict[str, Any] = {}
    for f in fields:
        value = values[f["name"]]
        record[f["name"]] = {"true": True, "false": False}.get(value, value) if f["kind"] in (
            "bool", "usable") else value  # fmt: skip
    original = str(form.get("_key", "")) or None
    names = [f["name"] for f in photo_table(request, vclass)]
    photos, refused = register_photos.uploaded(form, names, request["t"])
    try:
        if refused:  # the officer reads why beside the photo's field, the rest of the form kept
            raise CallFailed(request["t"]("error.invalid"), list(refused.items()))
        data = {"class": vclass, "record": record, "photos": photos}
        result = await call(request, "vehicles", "upsert", data)
    except CallFailed as err:
        errors: dict[str, str] = {}
        general: list[str] = []
        for loc, msg in err.fields:
            name = loc.removeprefix("record.").removeprefix("record").removeprefix("photos.")
            if name in values or name in names:
                msg = field_problem(request, msg)
                errors[name] = f"{errors[name]}; {msg}" if name in errors else msg
            else:
                general.append(words(request, msg))
        existing = None
        if original:
            try:
                existing = await call(request, "vehicles", "get", {"class": vclass, "key": original})
            except CallFailed:
                existing = None
        message = words(request, err.message) + (" " + "; ".join(general) if general else "")
        return _record_view(
            request, vclass, existing, values, None, _allowed(request), status=err.status, error=message,
            errors=errors,
        )  # fmt: skip
    target = f"/vehicles/{vclass}/{quote(result['key'], safe='')}?done={result['action']}"
    raise web.HTTPSeeOther(target)


@page("vehicles")
async def scan_emission_list(request: web.Request) -> web.StreamResponse:
    """The form's 随车清单 QR box: a scanner types the code and Enter (keyboard wedge), or a photo is sent.
    The code's fields fill the form as it was posted; nothing is saved until the officer saves. With the
    box empty, Enter in any field is the form's save."""
    vclass = request.match_info["vclass"]
    if vclass not in CLASSES:
        return not_in_register(request, vclass)
    form = await posted_form(request, "register.title")
    if isinstance(form, web.Response):
        return form
    text = str(form.get("qr_text", "")).strip()
    upload = form.get("qr_photo")
    photo = upload.file.read(MAX_QR_PHOTO + 1) if isinstance(upload, web.FileField) else b""
    if not text and not photo:
        return await save_record(request)
    await load_tables(request)
    fields = field_table(request, vclass)
    values = {f["name"]: str(form.get(f["name"], "")).strip() for f in fields}
    original = str(form.get("_key", "")) or None
    record = None
    if original:
        try:
            record = await call(request, "vehicles", "get", {"class": vclass, "key": original})
        except CallFailed:
            record = None
    data: dict[str, Any] = {"class": vclass}
    if text:
        data["text"] = text
    elif len(photo) > MAX_QR_PHOTO:
        return _record_view(
            request, vclass, record, values, None, _allowed(request), status=413,
            error=request["t"]("register.qr_photo_too_large", mib=MAX_QR_PHOTO // 2**20),
        )  # fmt: skip
    else:
        data["photo"] = base64.b64encode(photo).decode()
    try:
        found = await call(request, "vehicles", "parse_emission_qr", data)
    except CallFailed as err:
        message = "; ".join(words(request, m) for _, m in err.fields) or words(request, err.message)
        return _record_view(
            request, vclass, record, values, None, _allowed(request), status=err.status,
            error=request["t"]("register.qr_unreadable", reason=message),
        )  # fmt: skip
    filled = {k: v for k, v in found.get("record", {}).items() if k in values}
    values.update(filled)
    headers = {f["name"]: f["header"] for f in fields}
    notice = request["t"]("register.qr_filled", fields="、".join(headers[k] for k in filled) or "—")
    if found.get("warnings"):
        notice += " " + "; ".join(words(request, w) for w in found["warnings"])
    return _record_view(request, vclass, record, values, None, _allowed(request), notice=notice)


@page("vehicles")
async def delete_record(request: web.Request) -> web.StreamResponse:
    vclass, key = request.match_info["vclass"], request.match_info["key"]
    form = await posted_form(request, "register.title")
    if isinstance(form, web.Response):
        return form
    reason = str(form.get("reason") or "").strip()
    if not _allowed(request).get("delete"):
        return message_page(request, 403, "register.title", request["t"]("error.forbidden_action"))
    if not reason:  # a person deleting a record says why (kept in the register's history)
        text = request["t"]("register.delete_reason_required")
        return message_page(request, 400, "register.title", text)
    try:
        await call(request, "vehicles", "delete", {"class": vclass, "key": key, "reason": reason})
    except CallFailed as err:
        await load_tables(request)
        return message_page(request, err.status, "register.title", words(request, err.message))
    raise web.HTTPSeeOther(_back(vclass, done="deleted"))


@page("vehicles")
async def import_file(request: web.Request) -> web.StreamResponse:
    vclass = request.match_info["vclass"]
    if vclass not in CLASSES:
        return not_in_register(request, vclass)
    await load_tables(request)
    t = request["t"]
    content: bytes | None = b""
    filename, dry_run = None, False
    try:
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader):
                    continue  # a nested multipart is no field of this form
                if part.name == "file" and part.filename is not None:
                    filename = part.filename
                    content = await _read_part(part, MAX_IMPORT_BYTES)
                elif part.name == "dry_run":
                    dry_run = await _read_part(part, 16) in (b"1", b"on", b"true")
    except FORM_ERRORS as err:
        return unreadable_form(request, err, "register.title")
    if content is None:
        text = t("register.import_too_large", mib=MAX_IMPORT_BYTES // 2**20)
        return message_page(request, 413, "register.title", text)
    result, error, fields, status = None, None, [], 400
    if not content:
        error = t("register.import_no_file")
    else:
        data: dict[str, Any] = {"class": vclass, "content": content, "dry_run": dry_run}
        if filename:
            data["filename"] = filename[-200:]
        try:
            result = await call(request, "vehicles", "import", data)
        except CallFailed as err:
            error, status = words(request, err.message), err.status
            fields = worded_fields(request, err.fields)
    if result:
        for row in result.get("errors", []):
            row["text"] = row_text(request, vclass, row)
        result["warnings"] = [words(request, w) for w in result.get("warnings") or []]
    return render(
        request, "register_import.html", status=200 if result else status, page="vehicles", vclass=vclass,
        class_label=class_label(request, vclass), result=result, error=error, fields=fields,
        filename=filename,
    )  # fmt: skip


def row_text(request: web.Request, vclass: str, row: dict[str, Any]) -> str:
    """Why an import row was refused, each fault in the page's language; a fault whose sentence does not
    name what it is about gets its field's heading."""
    parts = []
    for item in row.get("problems") or [{"field": "", "code": None, "message": row.get("reason", "")}]:
        text, code, name = str(item.get("message") or ""), item.get("code"), item.get("field") or ""
        if code:
            worded = coded_words(request[TABLES], request["t"], code, item.get("params") or {}, text)
        else:
            worded = words(request, text)
        if name and code in (None, "unknown_field"):
            worded = f"{field_header(request, vclass, name)}: {worded}"
        parts.append(worded)
    return "; ".join(filter(None, parts)) or str(row.get("reason", ""))


@page("vehicles")
async def export_file(request: web.Request) -> web.StreamResponse:
    vclass = request.match_info["vclass"]
    fmt = request.query.get("format", "xlsx")
    if vclass not in CLASSES or fmt not in FORMATS:
        return not_in_register(request, vclass if vclass not in CLASSES else f"{vclass}.{fmt}")
    try:
        result = await call(request, "vehicles", "export", {"class": vclass, "format": fmt})
    except CallFailed as err:
        return message_page(request, err.status, "register.title", err.message)
    return download(result["content"], result["filename"], result["content_type"])


async def _read_part(part: BodyPartReader, limit: int) -> bytes | None:
    """A form part's bytes, or None past `limit`: an upload is not bounded by the app's body limit."""
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def download(content: bytes, filename: str, content_type: str) -> web.Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return web.Response(
        body=content, headers={"Content-Type": content_type, "Content-Disposition": disposition}
    )


@page("vehicles")
async def list_action(request: web.Request) -> web.StreamResponse:
    """Blacklist add/remove and temporary pass add/remove, from the forms of their tabs."""
    kind, action = request.match_info["kind"], request.match_info["action"]
    if kind not in LIST_TABS or action not in ("add", "remove"):
        return not_in_register(request, f"{kind}/{action}")
    form = await posted_form(request, "register.title")
    if isinstance(form, web.Response):
        return form
    data = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
    if kind == "pass" and action == "remove" and "id" in data:
        data = {"id": data["id"]}
    try:
        await call(request, "vehicles", f"{kind}_{action}", data)
    except CallFailed as err:
        await load_tables(request)
        t = request["t"]
        problems = "; ".join(f"{t('field.' + f, f)}: {m}" for f, m in worded_fields(request, err.fields))
        text = f"{words(request, err.message)} {problems}".strip()
        return message_page(request, err.status, "register.title", text)
    raise web.HTTPSeeOther(_back(kind, done=f"{kind}_{action}"))


def add_routes(app: web.Application) -> None:
    register_photos.add_routes(app)  # first: /vehicles/photos/... is not a class and a key
    app.router.add_get("/vehicles", register_page)
    app.router.add_post("/vehicles/lists/{kind}/{action}", list_action)
    app.router.add_get("/vehicles/{vclass}/new", record_page)
    app.router.add_post("/vehicles/{vclass}/save", save_record)
    app.router.add_post("/vehicles/{vclass}/scan", scan_emission_list)
    app.router.add_post("/vehicles/{vclass}/import", import_file)
    app.router.add_get("/vehicles/{vclass}/export", export_file)
    app.router.add_get("/vehicles/{vclass}/{key}", record_page)
    app.router.add_post("/vehicles/{vclass}/{key}/delete", delete_record)
