"""The REST API (JSON; described by openapi.yaml). The HMI's own pages use it too.

Every write is a service call with the signed-in user's Context, so validation, roles and audit happen in
the service registry exactly as for OPC UA, MQTT and the command line.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hub.core import HubError, ServiceNotFound, ServiceValidationError, Unauthorized
from hub.core.faults import problems_of

from . import lanes
from .jsonbody import BadJson, read_json
from .responses import api_error, json_response, principal_of, ui_of
from .security import LoginRefused, Principal

_LOGGER = logging.getLogger(__name__)
OPENAPI = Path(__file__).parent / "openapi.yaml"
TOKEN_BODY_BYTES = 4096  # a user name and a password (256 characters each at most)
SHA256 = re.compile(r"[0-9a-f]{64}")


_server = ui_of
_principal = principal_of


async def health(request: web.Request) -> web.Response:
    """`ok` (200); `degraded` (503) while the hub has a problem (a disk low or full, a ledger that
    cannot record), each named in `problems`: monitoring tools alarm on the status code alone."""
    hub = _server(request).hub
    body: dict[str, Any] = {"status": "ok" if hub.state == "running" else str(hub.state)}
    active = problems_of(hub).active
    if active:
        body.update(status="degraded", problems=[{"id": k, "reason": v} for k, v in sorted(active.items())])
    try:
        signed_in = await _server(request).auth.async_principal(request) is not None
    except LoginRefused:
        signed_in = False
    if signed_in:
        body.update(
            loaded=hub.loaded, failed=hub.setup_errors, version=hub.integrations["ui"].manifest.version
        )
    return json_response(body, status=503 if active else 200)


async def issue_token(request: web.Request) -> web.Response:
    server = _server(request)
    try:
        body = await read_json(request, TOKEN_BODY_BYTES)
    except BadJson as err:
        return api_error(err.status, err.code, err.message)
    if not isinstance(body, dict) or set(body) != {"username", "password"}:
        return api_error(400, "invalid_request", 'send JSON {"username": ..., "password": ...}')
    username, password = body["username"], body["password"]
    if not isinstance(username, str) or not isinstance(password, str):
        return api_error(400, "invalid_request", "the user name and the password are strings")
    try:
        user = await server.auth.async_login(username, password, request.remote or "?", "api", "token")
    except LoginRefused as err:
        return api_error(429, "locked", str(err), retry_after=int(err.retry_after) + 1)
    if user is None:
        return api_error(401, "invalid_credentials", "wrong user name or password")
    token, claims = server.auth.issue(user, "token")
    expires_in = int(claims.expires - server.auth.now())
    return json_response({"access_token": token, "token_type": "bearer", "expires_in": expires_in})


async def me(request: web.Request) -> web.Response:
    user = _principal(request).user
    return json_response(
        {"id": user.id, "username": user.username, "roles": sorted(user.roles), "language": request["lang"]}
    )


async def get_states(request: web.Request) -> web.Response:
    states = _server(request).hub.states.all()
    prefix = request.query.get("prefix")
    return json_response([s for s in states if not prefix or s.entity_id.startswith(prefix)])


async def get_state(request: web.Request) -> web.Response:
    entity_id = request.match_info["entity_id"]
    state = _server(request).hub.states.get(entity_id)
    if state is None:
        return api_error(404, "not_found", f"no entity {entity_id}")
    return json_response(state)


def service_info(service: Any, principal: Principal) -> dict[str, Any]:
    schema = service.schema.model_json_schema() if service.schema else None
    return {
        "domain": service.domain,
        "service": service.name,
        "description": service.description,
        "roles": sorted(service.roles) if service.roles else None,
        "allowed": principal.may(service.roles),
        "schema": schema,
    }


async def get_services(request: web.Request) -> web.Response:
    principal = _principal(request)
    services = sorted(_server(request).hub.services.services(), key=lambda s: (s.domain, s.name))
    domain = request.query.get("domain")
    return json_response([service_info(s, principal) for s in services if not domain or s.domain == domain])


async def call_service(request: web.Request) -> web.Response:
    domain, name = request.match_info["domain"], request.match_info["service"]
    try:
        data = await read_json(request) if request.body_exists else {}
    except BadJson as err:
        return api_error(err.status, err.code, err.message)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "the body must be a JSON object of service fields")
    principal, server = _principal(request), _server(request)
    try:
        result = await server.hub.services.async_call(
            domain, name, data, principal.context(), door=principal.door
        )
    except ServiceNotFound as err:
        return api_error(404, "service_not_found", str(err))
    except Unauthorized as err:
        return api_error(403, "forbidden", str(err))
    except ServiceValidationError as err:
        fields = [{"field": loc, "message": msg} for loc, msg in err.errors]
        return api_error(400, "invalid_data", str(err), fields=fields)
    except (HubError, ValueError, LookupError) as err:
        # The service understood the call and refused it (an unknown passage, a closed lane ...).
        return api_error(400, "rejected", str(err) or type(err).__name__)
    except Exception:
        _LOGGER.exception("Service %s.%s failed on an API call", domain, name)
        return api_error(500, "service_failed", f"{domain}.{name} failed; the hub log has the details")
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return json_response({"result": result})


async def get_lanes(request: web.Request) -> web.Response:
    server = _server(request)
    return json_response(lanes.snapshot(server.hub, server.feed))


async def get_releases(request: web.Request) -> web.Response:
    """Two-step release requests: the pending ones, then the last answered."""
    return json_response(_server(request).releases.snapshot())


async def get_review(request: web.Request) -> web.Response:
    """The guard's review queue: doubtful reads and denied trucks nobody has settled yet."""
    return json_response({"items": _server(request).feed.review.snapshot()})


async def get_evidence(request: web.Request) -> web.Response:
    """A passage photo, asked of the ledger (the ledger decides who may see it, and audits it)."""

    sha256 = request.match_info["sha256"]
    if not SHA256.fullmatch(sha256):
        return api_error(404, "not_found", "a photo is named by its SHA-256: 64 digits 0-9, a-f")
    hub = _server(request).hub
    if not hub.services.has_service("ledger", "evidence"):
        return api_error(503, "not_available", "the ledger offers no photo service (ledger.evidence)")
    principal = _principal(request)
    try:
        result = await hub.services.async_call(
            "ledger", "evidence", {"sha256": sha256}, principal.context(), door=principal.door
        )
    except Unauthorized as err:
        return api_error(403, "forbidden", str(err))
    except ServiceValidationError as err:
        return api_error(400, "invalid_data", str(err))
    except (HubError, LookupError, OSError, ValueError) as err:
        return api_error(404, "not_found", str(err) or "no such photo")
    content = result.get("data") if isinstance(result, dict) else result
    if not isinstance(content, bytes | bytearray) or not content:
        return api_error(404, "not_found", "no such photo")
    content_type = result.get("content_type", "image/jpeg") if isinstance(result, dict) else "image/jpeg"
    return web.Response(
        body=bytes(content), content_type=content_type,
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )  # fmt: skip


@functools.cache
def _openapi_text() -> str:
    return OPENAPI.read_text(encoding="utf-8")


async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=_openapi_text(), content_type="application/yaml")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/health", health)
    app.router.add_post("/api/auth/token", issue_token)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/states", get_states)
    app.router.add_get("/api/states/{entity_id}", get_state)
    app.router.add_get("/api/services", get_services)
    app.router.add_post("/api/services/{domain}/{service}", call_service)
    app.router.add_get("/api/lanes", get_lanes)
    app.router.add_get("/api/review", get_review)
    app.router.add_get("/api/releases", get_releases)
    app.router.add_get("/api/evidence/{sha256}", get_evidence)
    app.router.add_get("/api/openapi.yaml", openapi)
