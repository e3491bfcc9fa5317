"""Document photos of the register (行驶证, 随车清单, nameplates) on the register page.

Uploaded with the record's form (JPEG or PNG, at most MAX_PHOTO_BYTES each, checked here so the officer
reads a clear reason beside the field), stored by the register's own content-addressed store through
`vehicles.upsert` (the record keeps each photo's SHA-256), shown as thumbnails through `vehicles.photo`,
and removed with a confirmation through `vehicles.upsert` again: the service call is in the audit log and
the change (the hash before, none after) in the record's history.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy

from hub.util.images import NotAPhoto, check_photo

from .pages import CallFailed, call, message_page, page

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # the register's own limit (vehicles/photos.py)
UPLOAD_PREFIX = "upload_"  # the file input beside each photo field: upload_photo_licence
SHA256_CHARS = frozenset("0123456789abcdef")


def uploaded(form: MultiDictProxy[Any], names: list[str], t: Any) -> tuple[dict[str, bytes], dict[str, str]]:
    """The photos a form carries, by field, and the reason each refused one was refused."""
    photos: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    for name in names:
        upload = form.get(UPLOAD_PREFIX + name)
        if not isinstance(upload, web.FileField):
            continue
        content = upload.file.read(MAX_PHOTO_BYTES + 1)
        if not content:
            continue  # the input left empty: the stored photo stays
        if len(content) > MAX_PHOTO_BYTES:
            errors[name] = t("register.photo_too_large", mib=MAX_PHOTO_BYTES // 2**20)
            continue
        try:
            check_photo(upload.filename or name, content)
        except NotAPhoto as err:
            errors[name] = t("register.photo_not_image", reason=str(err))
            continue
        photos[name] = content
    return photos, errors


@page("vehicles")
async def photo(request: web.Request) -> web.StreamResponse:
    """A document photo by its SHA-256, asked of the register (which decides who may see it)."""
    sha256 = request.match_info["sha256"]
    if len(sha256) != 64 or not set(sha256) <= SHA256_CHARS:
        return message_page(request, 404, "register.title", request["t"]("register.photo_missing"))
    try:
        result = await call(request, "vehicles", "photo", {"sha256": sha256})
    except CallFailed as err:
        return message_page(request, err.status, "register.title", err.message)
    return web.Response(
        body=result["data"], content_type=result["content_type"],
        headers={"Cache-Control": "private, max-age=86400, immutable", "Content-Disposition": "inline"},
    )  # fmt: skip


@page("vehicles")
async def delete_photo(request: web.Request) -> web.StreamResponse:
    vclass, key, name = (request.match_info[k] for k in ("vclass", "key", "field"))
    t = request["t"]
    try:
        record = await call(request, "vehicles", "get", {"class": vclass, "key": key})
        tables = await call(request, "vehicles", "fields", {})
    except CallFailed as err:
        return message_page(request, err.status, "register.title", err.message)
    photos = [f["name"] for f in tables.get("photos", {}).get(vclass, [])]
    if record is None or name not in photos or not record.get(name):
        return message_page(request, 404, "register.title", t("register.photo_missing"))
    known = {f["name"] for f in tables["fields"][vclass]} | set(photos)
    kept = {k: v for k, v in record.items() if k in known and v not in (None, "")}
    kept.pop(name)
    try:
        await call(request, "vehicles", "upsert", {"class": vclass, "record": kept, "mode": "replace"})
    except CallFailed as err:
        return message_page(request, err.status, "register.title", err.message)
    raise web.HTTPSeeOther(f"/vehicles/{vclass}/{quote(key, safe='')}?done=photo_deleted")


def add_routes(app: web.Application) -> None:
    """Before the register's `/vehicles/{vclass}/{key}`, which would take `/vehicles/photos/...`."""
    app.router.add_get("/vehicles/photos/{sha256}", photo)
    app.router.add_post("/vehicles/{vclass}/{key}/photos/{field}/delete", delete_photo)
