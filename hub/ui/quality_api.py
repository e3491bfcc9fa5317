"""REST routes of the data-quality rules (`quality.*` services; described in openapi.yaml).

Each route is one service call as the signed-in user: roles, validation and the audit log are the
service registry's, as at every other door.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.core import HubError, ServiceNotFound, ServiceValidationError, Unauthorized

from .jsonbody import BadJson, read_json
from .responses import api_error, json_response, principal_of, ui_of

# Query parameter -> the field of quality.findings it fills.
FINDINGS_QUERY = {
    "rule": "rule", "severity": "severity", "status": "status", "from": "start", "to": "end",
    "subject": "subject", "with_records": "with_records", "page": "page", "page_size": "page_size",
}  # fmt: skip
BODY_BYTES = 8 * 1024


async def _call(request: web.Request, service: str, data: dict[str, Any]) -> Any:
    """The service's result, or the API error response to answer with."""
    principal = principal_of(request)
    try:
        return await ui_of(request).hub.services.async_call(
            "quality", service, data, principal.context(), door=principal.door
        )
    except ServiceNotFound:
        return api_error(503, "not_available", "the data-quality rules are not configured (quality:)")
    except Unauthorized as err:
        return api_error(403, "forbidden", str(err))
    except ServiceValidationError as err:
        fields = [{"field": loc, "message": msg} for loc, msg in err.errors]
        return api_error(400, "invalid_data", str(err), fields=fields)
    except LookupError as err:
        return api_error(404, "not_found", str(err))
    except HubError as err:
        return api_error(409, "rejected", str(err))


async def _body(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        data = await read_json(request, BODY_BYTES) if request.body_exists else {}
    except BadJson as err:
        return api_error(err.status, err.code, err.message)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "the body must be a JSON object")
    return data


def _answer(result: Any) -> web.Response:
    return result if isinstance(result, web.Response) else json_response(result)


async def get_rules(request: web.Request) -> web.Response:
    return _answer(await _call(request, "rules", {}))


async def get_findings(request: web.Request) -> web.Response:
    unknown = sorted(set(request.query) - set(FINDINGS_QUERY))
    if unknown:
        allowed = ", ".join(FINDINGS_QUERY)
        return api_error(400, "invalid_data", f"unknown parameter {', '.join(unknown)}; one of {allowed}")
    data = {FINDINGS_QUERY[k]: v for k, v in request.query.items()}
    return _answer(await _call(request, "findings", data))


async def post_run(request: web.Request) -> web.Response:
    data = await _body(request)
    if isinstance(data, web.Response):
        return data
    return _answer(await _call(request, "run", data))


async def post_acknowledge(request: web.Request) -> web.Response:
    try:
        finding_id = int(request.match_info["finding_id"])
    except ValueError:
        return api_error(404, "not_found", "a finding is named by its number")
    data = await _body(request)
    if isinstance(data, web.Response):
        return data
    return _answer(await _call(request, "acknowledge", {**data, "id": finding_id}))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/quality/rules", get_rules)
    app.router.add_get("/api/quality/findings", get_findings)
    app.router.add_post("/api/quality/run", post_run)
    app.router.add_post("/api/quality/findings/{finding_id}/acknowledge", post_acknowledge)
