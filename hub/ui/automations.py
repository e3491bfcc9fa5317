"""REST for automations: the list (state, last run, configuration errors) and each one's run traces.

Both are service calls as the signed-in user (`automation.list`, `automation.trace`), so roles and
audit are the service registry's, as for every other door. The HMI page comes later; it reads these.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.core import HubError, ServiceNotFound, ServiceValidationError, Unauthorized

from .responses import api_error, json_response, principal_of, ui_of


async def _call(request: web.Request, service: str, data: dict[str, Any]) -> web.Response:
    principal = principal_of(request)
    try:
        result = await ui_of(request).hub.services.async_call(
            "automation", service, data, principal.context(), door=principal.door
        )
    except ServiceNotFound:
        return api_error(404, "not_available", "no automations configured (automation: in the configuration)")
    except Unauthorized as err:
        return api_error(403, "forbidden", str(err))
    except ServiceValidationError as err:
        return api_error(400, "invalid_data", str(err))
    except (LookupError, HubError) as err:
        return api_error(404, "not_found", str(err).strip("'\""))
    return json_response(result)


async def list_automations(request: web.Request) -> web.Response:
    return await _call(request, "list", {})


async def automation_traces(request: web.Request) -> web.Response:
    data: dict[str, Any] = {"entity_id": request.match_info["automation_id"]}
    run_id = request.query.get("run_id")
    if run_id is not None:
        if not run_id.isdigit() or int(run_id) < 1:
            return api_error(400, "invalid_data", "run_id is a whole number from 1")
        data["run_id"] = int(run_id)
    return await _call(request, "trace", data)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/automations", list_automations)
    app.router.add_get("/api/automations/{automation_id}/traces", automation_traces)
