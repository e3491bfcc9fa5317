"""schemathesis against hub/ui/openapi.yaml: every operation, as every role, on a live hub.

No answer may be a 5xx, and every answer must be what the document says (status codes, content types,
response bodies); the suite's `no_tracebacks` fixture fails any traceback in the web handlers' log.
Bounded for CI: a fixed number of examples per operation and role, derandomized (the same requests on
every run), no deadline (the machine is shared; speed is not what this measures).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from hub.core.auth import Role
from tests.fuzz.conftest import LiveHub, repo_file

SCHEMA = schemathesis.openapi.from_path(repo_file("hub", "ui", "openapi.yaml"))
EXAMPLES = 25  # per operation and role: ~10 operations x 5 roles x 25 requests in well under a minute
# Service calls the fuzzer must not make, although the role may: each would change the suite's world
# rather than test a door. A backup copies the whole database and photo store to disk per call.
NOT_CALLED = {("ledger", "backup"), ("ledger", "prune")}
# ignored_auth sends made-up basic credentials to every operation: after a few, the hub rightly locks
# the address out (429) and the check wants 401. Sign-in refusal is tested in tests/ui/test_api.py.
EXCLUDED = [ignored_auth]
# A service call's fields are each service's own (GET /api/services lists their JSON schemas), not the
# document's: data the document allows may still be refused by the service (400 invalid_data).


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role(case: schemathesis.Case, role: Role, live_hub: LiveHub) -> None:
    params = case.path_parameters or {}
    if (params.get("domain"), params.get("service")) in NOT_CALLED:
        return
    # The reports' routes hand their parameters to a service too (a custom period needs start and end).
    by_service = params.get("service") or case.path.startswith("/api/reports/")
    excluded = [*EXCLUDED, positive_data_acceptance] if by_service else EXCLUDED
    case.call_and_validate(
        base_url=live_hub.base, headers=live_hub.bearer(role), excluded_checks=excluded, timeout=30
    )


# ----- every service, with data its own JSON schema allows and data it does not ---------------------
SERVICE_EXAMPLES = 600  # in all: ~40 services, each some 15 times, in one role or another
# Beyond the above: a service may refuse data its schema allows (an unknown passage: 400 rejected), and
# takes some data its JSON schema does not (pydantic turns "5" into 5): neither is a door's fault.
SERVICE_EXCLUDED = [ignored_auth, positive_data_acceptance, negative_data_rejection]


ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def _own_refs(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A pydantic schema's `#/$defs/X` references as `#/components/schemas/<prefix>X`."""
    text = json.dumps(schema).replace('"#/$defs/', f'"#/components/schemas/{prefix}')
    return json.loads(text)


def service_document(services: list[dict[str, Any]]) -> dict[str, Any]:
    """An OpenAPI 3.1 document of one operation per service, from the schemas GET /api/services lists."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    refused = {"description": "Refused, with a reason", "content": {"application/json": {"schema": ERROR}}}
    result = {"type": "object", "required": ["result"]}
    for service in services:
        domain, name = service["domain"], service["service"]
        if (domain, name) in NOT_CALLED:
            continue
        prefix = f"{domain}_{name}_"
        schema = _own_refs(dict(service["schema"] or {"type": "object"}), prefix)
        schemas.update({prefix + key: value for key, value in schema.pop("$defs", {}).items()})
        paths[f"/api/services/{domain}/{name}"] = {
            "post": {
                "operationId": f"{domain}.{name}",
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                "responses": {
                    "200": {"description": "The result", "content": {"application/json": {"schema": result}}},
                    **{code: refused for code in ("400", "401", "403", "413", "415")},
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "EcoGate Hub services", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def test_every_service_with_data_of_its_own_schema(live_hub: LiveHub) -> None:
    """Cases drawn from each service's JSON schema (GET /api/services), valid and not, as every role."""
    answer = requests.get(f"{live_hub.base}/api/services", headers=live_hub.bearer(Role.ADMIN), timeout=30)
    assert answer.status_code == 200, answer.text
    catalogue = schemathesis.openapi.from_dict(service_document(answer.json()))
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    cases = st.one_of([catalogue.as_strategy(mode) for mode in modes])

    @settings(
        max_examples=SERVICE_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(cases, st.sampled_from(list(Role)))
    def one_call(case: schemathesis.Case, role: Role) -> None:
        case.call_and_validate(
            base_url=live_hub.base,
            headers=live_hub.bearer(role),
            excluded_checks=SERVICE_EXCLUDED,
            timeout=30,
        )

    one_call()
