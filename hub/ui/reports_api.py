"""REST routes of the compliance reports (`reports.*` services; described in openapi.yaml).

Each route is one service call as the signed-in user, so roles, validation and audit are the registry's,
as for every other door. Report files are written by `POST /api/reports/export` and fetched by name.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from hub.core import HubError, ServiceNotFound, ServiceValidationError, Unauthorized

from .jsonbody import BadJson, read_json
from .register import download
from .responses import api_error, json_response, principal_of, ui_of

_LOGGER = logging.getLogger(__name__)
IMPORT_BYTES = 8 * 1024 * 1024
# Query parameters a report takes, with what each route passes on (the schema validates the values).
PERIOD = ("period", "date", "start", "end")
QUERY = {
    "statistics": (*PERIOD, "gate", "lane"),
    "clean_transport": (*PERIOD, "with_passages"),
    "alerts": PERIOD,
    "carriers": (*PERIOD, "fleet"),
    "tonnage": PERIOD,
    "files": ("kind", "limit"),
}


async def _call(request: web.Request, service: str, data: dict[str, Any]) -> Any:
    """The service's result, or the API error response to answer with."""
    principal = principal_of(request)
    hub = ui_of(request).hub
    try:
        return await hub.services.async_call(
            "reports", service, data, principal.context(), door=principal.door
        )
    except ServiceNotFound:
        return api_error(503, "not_available", "the reports component is not configured (reports:)")
    except Unauthorized as err:
        return api_error(403, "forbidden", str(err))
    except ServiceValidationError as err:
        fields = [{"field": loc, "message": msg} for loc, msg in err.errors]
        return api_error(400, "invalid_data", str(err), fields=fields)
    except (HubError, ValueError, LookupError, OSError) as err:
        return api_error(400, "rejected", str(err) or type(err).__name__)
    except Exception:
        _LOGGER.exception("Service reports.%s failed on an API call", service)
        return api_error(500, "service_failed", f"reports.{service} failed; the hub log has the details")


def _query(request: web.Request, service: str) -> dict[str, Any] | web.Response:
    allowed = QUERY[service]
    unknown = sorted(set(request.query) - set(allowed))
    if unknown:
        return api_error(
            400, "invalid_data", f"unknown parameter {', '.join(unknown)}; one of {', '.join(allowed)}"
        )
    return {k: v for k, v in request.query.items() if k in allowed}


def _reader(service: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        data = _query(request, service)
        if isinstance(data, web.Response):
            return data
        result = await _call(request, service, data)
        return result if isinstance(result, web.Response) else json_response(result)

    return handler


async def _json_call(request: web.Request, service: str) -> web.Response:
    try:
        data = await read_json(request) if request.body_exists else {}
    except BadJson as err:
        return api_error(err.status, err.code, err.message)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "the body must be a JSON object")
    result = await _call(request, service, data)
    return result if isinstance(result, web.Response) else json_response(result)


async def enter_tonnage(request: web.Request) -> web.Response:
    return await _json_call(request, "enter_tonnage")


async def export(request: web.Request) -> web.Response:
    return await _json_call(request, "export")


async def import_tonnage(request: web.Request) -> web.Response:
    """The file as the body (application/octet-stream); its name and source note as parameters."""
    if request.content_length is not None and request.content_length > IMPORT_BYTES:
        return api_error(413, "too_large", f"at most {IMPORT_BYTES} bytes")
    content = await request.content.read(IMPORT_BYTES + 1)
    if len(content) > IMPORT_BYTES:
        return api_error(413, "too_large", f"at most {IMPORT_BYTES} bytes")
    q = request.query
    data = {"filename": q.get("filename", ""), "source": q.get("source", ""), "content": content,
            "dry_run": q.get("dry_run", "false")}  # fmt: skip
    result = await _call(request, "import_tonnage", data)
    return result if isinstance(result, web.Response) else json_response(result)


async def get_file(request: web.Request) -> web.Response:
    result = await _call(request, "file", {"name": request.match_info["name"]})
    if isinstance(result, web.Response):
        return api_error(404, "not_found", "no such report file") if result.status == 400 else result
    return download(result["content"], result["name"], result["content_type"])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/reports/statistics", _reader("statistics"))
    app.router.add_get("/api/reports/clean-transport", _reader("clean_transport"))
    app.router.add_get("/api/reports/alerts", _reader("alerts"))
    app.router.add_get("/api/reports/carriers", _reader("carriers"))
    app.router.add_get("/api/reports/tonnage", _reader("tonnage"))
    app.router.add_post("/api/reports/tonnage", enter_tonnage)
    app.router.add_post("/api/reports/tonnage/import", import_tonnage)
    app.router.add_post("/api/reports/export", export)
    app.router.add_get("/api/reports/files", _reader("files"))
    app.router.add_get("/api/reports/files/{name}", get_file)
