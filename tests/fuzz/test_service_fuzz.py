"""Hypothesis at the service-call door (POST /api/services/{domain}/{service}, which the HMI's pages
use too) and at the live feed: hostile JSON of every shape, to every service the plant registers.

Whatever comes in, the answer is a 2xx or a 4xx with a JSON reason, never a 5xx; the web handlers log
no traceback (the suite's `no_tracebacks` fixture); the hub answers afterwards. Derandomized and
bounded: the same requests on every run.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core.auth import Role
from tests.fuzz.conftest import LiveHub, feed_answer

# Services the fuzzer must not call: each would change the suite's world rather than test a door.
# A backup copies the whole database and photo store to disk per call; prune deletes by retention.
NOT_CALLED = {"ledger.backup", "ledger.prune"}
BOUNDED = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

ODD_TEXT = st.sampled_from(
    [
        "", " ", "\x00", "\ud800", "\udfff", "a\ud83d", "\u202e", "🚛", "冀B12345", "冀B1234\x00",
        "../../../etc/passwd", "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "%s%n", "9" * 5000,
        "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-11-24T08:00:00+08:00",
        "2026-11-24", "9999-12-31", "0001-01-01", "NaN", "transport", "in", "out", "red", "east",
        "yellow", "6", "B", "0" * 64, "f" * 64,
    ]
)  # fmt: skip
TEXT = ODD_TEXT | st.text(max_size=40)
NUMBERS = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64])
    | st.floats(allow_nan=True, allow_infinity=True)
)
LEAVES = st.none() | st.booleans() | NUMBERS | TEXT
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=16,
)
# Plausible values reach the services' handlers (past the door and the schema) more often than not.
PLAUSIBLE = st.none() | st.booleans() | st.integers(min_value=-1, max_value=100) | ODD_TEXT
FIELD_VALUES = st.one_of(PLAUSIBLE, PLAUSIBLE, PLAUSIBLE, st.lists(PLAUSIBLE, max_size=3), VALUES)


def _services(live: LiveHub) -> dict[str, list[str]]:
    """Each service's name -> its fields (from its JSON schema), as the API lists them."""
    answer = requests.get(f"{live.base}/api/services", headers=live.bearer(Role.ADMIN), timeout=30)
    assert answer.status_code == 200, answer.text
    return {
        f"{s['domain']}.{s['service']}": sorted((s.get("schema") or {}).get("properties", {}))
        for s in answer.json()
        if f"{s['domain']}.{s['service']}" not in NOT_CALLED
    }


@st.composite
def bodies(draw: st.DrawFn, fields: list[str]) -> bytes:
    """A request body: the service's own fields with hostile values, any JSON at all, or not JSON."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "any", "deep", "broken"]))
    if kind == "fields":
        value: Any = draw(st.fixed_dictionaries({}, optional={f: FIELD_VALUES for f in fields}))
        value.update(draw(st.dictionaries(TEXT, VALUES, max_size=1)))
    elif kind == "any":
        value = draw(VALUES)
    elif kind == "deep":
        depth = draw(st.integers(min_value=20, max_value=5000))
        return ('{"a":' * depth + "1" + "}" * depth).encode()
    else:
        text = json.dumps(draw(VALUES), ensure_ascii=False, allow_nan=True)
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        return text[:cut].encode("utf-8", "surrogatepass") + draw(st.binary(max_size=8))
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def test_hostile_service_calls_get_a_reason_and_the_hub_stays(live_hub: LiveHub) -> None:
    services = _services(live_hub)
    names = sorted(services)
    statuses: dict[int, int] = {}

    @st.composite
    def calls(draw: st.DrawFn) -> tuple[str, Role, bytes]:
        name = draw(st.sampled_from(names))
        role = draw(st.sampled_from([Role.ADMIN, Role.ADMIN, *Role]))  # admin may call every service
        return name, role, draw(bodies(services[name]))

    @BOUNDED
    @given(calls())
    def one_call(call: tuple[str, Role, bytes]) -> None:
        name, role, body = call
        domain, service = name.split(".")
        response = requests.post(
            f"{live_hub.base}/api/services/{domain}/{service}",
            data=body,
            headers={**live_hub.bearer(role), "Content-Type": "application/json"},
            timeout=30,
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, f"{name} as {role.value}: {response.text[:300]}"
        if response.status_code >= 400:
            assert response.json()["error"], response.text[:300]

    one_call()
    assert live_hub.answers()
    assert statuses.get(200, 0) > 0 and sum(n for s, n in statuses.items() if 400 <= s < 500) > 0, statuses


WS_MESSAGES = st.lists(
    st.one_of(
        VALUES.map(lambda v: json.dumps(v, ensure_ascii=False, allow_nan=True)),
        st.fixed_dictionaries({"type": TEXT | st.just("subscribe"), "event_types": VALUES}).map(json.dumps),
        st.integers(min_value=1, max_value=20_000).map(lambda n: "[" * n + "]" * n),
        st.text(max_size=200),
    ),
    min_size=1,
    max_size=30,
)


def test_hostile_live_feed_messages_are_answered_and_the_feed_stays(live_hub: LiveHub) -> None:
    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(WS_MESSAGES)
    def one_session(messages: list[str]) -> None:
        async def session() -> None:
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(f"{live_hub.base}/api/websocket", headers=live_hub.bearer(Role.GUARD)) as ws,
            ):
                assert (await feed_answer(ws))["type"] == "hello"
                for message in messages:
                    await ws.send_str(message.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
                    answer = await feed_answer(ws)
                    assert answer["type"] in ("error", "pong", "subscribed"), answer
                await ws.send_str('{"type": "ping"}')
                assert await feed_answer(ws) == {"type": "pong"}

        asyncio.run(session())

    one_session()
    assert live_hub.answers()
