"""schemathesis against hub/ui/openapi.yaml: every operation, as every role, on a live hub.

No answer may be a 5xx, and every answer must be what the document says (status codes, content types,
response bodies); the suite's `no_tracebacks` fixture fails any traceback in the web handlers' log.
Bounded for CI: a fixed number of examples per operation and role, derandomized (the same requests on
every run), no deadline (the machine is shared; speed is not what this measures).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

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
    excluded = [*EXCLUDED, positive_data_acceptance] if params.get("service") else EXCLUDED
    case.call_and_validate(
        base_url=live_hub.base, headers=live_hub.bearer(role), excluded_checks=excluded, timeout=30
    )
