"""The REST API and the live feed over real HTTP: sign-in, roles, validation errors, states, WebSocket."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from hub.core.auth import Role
from hub.core.const import EVENT_PLATE_READ, EVENT_SERVICE_CALLED, EVENT_USER_LOGIN
from tests.ui.conftest import PASSWORDS, add_role_users, token_for, ui_url

CONFIG = """\
hub: {name: 接口测试}
ledger:
ui: {port: 0, max_failed_logins: 3, lockout_minutes: 5}
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


async def test_api_needs_sign_in_and_tokens_work(make_hub, clock, http) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    users = await add_role_users(hub)
    base = ui_url(hub)
    async with http.get(f"{base}/api/states") as response:
        assert response.status == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]
        assert (await response.json())["error"] == "unauthorized"
    async with http.get(f"{base}/api/health") as response:
        assert response.status == 200 and (await response.json()) == {"status": "ok"}

    logins = []
    hub.bus.async_listen(EVENT_USER_LOGIN, logins.append)
    async with http.post(f"{base}/api/auth/token", json={"username": "guard", "password": "wrong-one"}) as r:
        assert r.status == 401
    token = await token_for(http, base, Role.GUARD)
    assert [(e.data["username"], e.data["outcome"], e.data["door"]) for e in logins] == [
        ("guard", "failed", "api"),
        ("guard", "ok", "api"),
    ]
    assert logins[1].data["user_id"] == users[Role.GUARD].id

    hub.states.async_set("sensor.east_gate_in_weight", "31250", {"unit_of_measurement": "kg"})
    async with http.get(f"{base}/api/states", headers=bearer(token)) as response:
        states = {s["entity_id"]: s for s in await response.json()}
    assert states["sensor.east_gate_in_weight"]["state"] == "31250"
    async with http.get(f"{base}/api/states/sensor.east_gate_in_weight", headers=bearer(token)) as response:
        assert (await response.json())["attributes"] == {"unit_of_measurement": "kg"}
    async with http.get(f"{base}/api/states/sensor.nothing_here", headers=bearer(token)) as response:
        assert response.status == 404
    async with http.get(f"{base}/api/me", headers=bearer(token)) as response:
        assert (await response.json())["roles"] == ["guard"]
    async with http.get(f"{base}/api/states", headers=bearer(token + "x")) as response:
        assert response.status == 401
    # Tokens expire.
    clock.advance(timedelta(hours=25))
    async with http.get(f"{base}/api/me", headers=bearer(token)) as response:
        assert response.status == 401


async def test_failed_logins_are_limited_and_basic_auth_works(make_hub, clock, http) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    async with http.get(f"{base}/api/me", headers=basic("officer", PASSWORDS[Role.OFFICER])) as response:
        assert (await response.json())["username"] == "officer"
    for _ in range(3):
        async with http.get(f"{base}/api/me", headers=basic("officer", "guessing")) as response:
            assert response.status == 401
    # Locked now, even with the right password, until the window has passed.
    async with http.post(
        f"{base}/api/auth/token", json={"username": "officer", "password": PASSWORDS[Role.OFFICER]}
    ) as response:
        assert response.status == 429
        body = await response.json()
        assert body["error"] == "locked" and 0 < body["retry_after"] <= 301
    clock.advance(timedelta(minutes=5, seconds=1))
    await token_for(http, base, Role.OFFICER)


async def test_service_calls_map_errors_and_carry_the_user(make_hub, clock, http) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    users = await add_role_users(hub)
    base = ui_url(hub)
    inspector = bearer(await token_for(http, base, Role.INSPECTOR))
    url = f"{base}/api/services"

    async with http.get(url, headers=inspector, params={"domain": "ledger"}) as response:
        listing = {s["service"]: s for s in await response.json()}
    assert listing["query"]["allowed"] and "plate" in listing["query"]["schema"]["properties"]
    assert not listing["record_followup"]["allowed"]

    calls = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, calls.append)
    async with http.post(f"{url}/ledger/query", headers=inspector, json={"page": 0, "direction": "up"}) as r:
        assert r.status == 400
        body = await r.json()
    assert body["error"] == "invalid_data"
    assert {f["field"] for f in body["fields"]} == {"page", "direction"}

    followup = {"passage_id": "0" * 32, "kind": "cargo", "data": {"cargo": "铁矿石"}}
    async with http.post(f"{url}/ledger/record_followup", headers=inspector, json=followup) as r:
        assert r.status == 403
        assert "guard" in (await r.json())["message"]
    async with http.post(f"{url}/barrier/open", headers=inspector, json={}) as r:
        assert r.status == 404
    async with http.post(f"{url}/ledger/query", headers=inspector, data="plate=1") as r:
        assert r.status == 415
    as_json = {**inspector, "Content-Type": "application/json"}
    async with http.post(f"{url}/ledger/query", headers=as_json, data="{") as r:
        assert r.status == 400 and (await r.json())["error"] == "invalid_json"

    async with http.post(f"{url}/ledger/query", headers=inspector, json={"plate_contains": "冀A"}) as r:
        assert r.status == 200
        assert (await r.json())["result"]["total"] == 0
    await hub.async_block_till_done()
    assert calls[-1].data["user_id"] == users[Role.INSPECTOR].id
    assert calls[-1].data["door"] == "api" and calls[-1].data["outcome"] == "ok"
    assert [c.data["outcome"] for c in calls] == ["refused", "refused", "ok"]


async def test_websocket_feed_sends_state_changes_and_reads_with_photo_refs(make_hub, clock, http) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    async with http.get(f"{base}/api/websocket") as response:
        assert response.status == 401
    token = await token_for(http, base, Role.INSPECTOR)
    async with http.ws_connect(f"{base}/api/websocket", headers=bearer(token)) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello" and hello["user"] == "inspector"
        hub.states.async_set("cover.east_gate_in_barrier", "open")
        message = await ws.receive_json(timeout=5)
        assert message["event_type"] == "state_changed"
        assert message["data"]["entity_id"] == "cover.east_gate_in_barrier"
        assert message["data"]["new_state"]["state"] == "open"

        hub.bus.async_fire(
            EVENT_PLATE_READ,
            {"read_id": "r1", "gate": "east_gate", "lane": "in", "plate": "冀A12345", "confidence": 0.62,
             "photos": {"plate": {"sha256": "ab" * 32, "size": 6}}, "images": {"plate": b"\xff\xd8jpeg"}},
        )  # fmt: skip
        message = await ws.receive_json(timeout=5)
        assert message["event_type"] == "plate_read"
        assert message["data"]["plate"] == "冀A12345"
        assert message["data"]["photos"] == {"plate": {"sha256": "ab" * 32, "size": 6}}
        assert "images" not in message["data"]  # bytes never go to the feed

        await ws.send_str(json.dumps({"type": "subscribe", "event_types": ["gate_decision"]}))
        assert (await ws.receive_json(timeout=5))["event_types"] == ["gate_decision"]
        hub.states.async_set("cover.east_gate_in_barrier", "closed")
        hub.bus.async_fire("gate_decision", {"gate": "east_gate", "lane": "in", "decision": "deny"})
        message = await ws.receive_json(timeout=5)
        assert message["event_type"] == "gate_decision"  # the state change was filtered out
    # The lanes overview remembers the read for the next page load.
    async with http.get(f"{base}/api/lanes", headers=bearer(token)) as response:
        lanes = {lane["key"]: lane for lane in (await response.json())["lanes"]}
    assert lanes["east_gate_in"]["read"]["plate"] == "冀A12345"
    assert lanes["east_gate_in"]["states"]["barrier"]["state"] == "closed"


async def test_openapi_document_lists_the_routes(make_hub, http) -> None:
    import yaml

    hub = await make_hub(CONFIG)
    async with http.get(f"{ui_url(hub)}/api/openapi.yaml") as response:
        document = yaml.safe_load(await response.text())
    routes = {r.resource.canonical for r in hub.data["ui"].app.router.routes() if r.resource is not None}
    api_routes = {r.replace(":[0-9a-f]{64}", "") for r in routes if r.startswith("/api/")} - {
        "/api/websocket"
    }
    assert api_routes <= set(document["paths"]), api_routes - set(document["paths"])


async def test_evidence_route_asks_the_ledger_photo_service(make_hub, http) -> None:
    """The contract proposed to the ledger: `ledger.evidence` {sha256} -> JPEG bytes, readers only."""
    from pydantic import BaseModel, Field

    hub = await make_hub("hub: {}\nui: {port: 0}\n")
    await add_role_users(hub)
    photos = {"ab" * 32: b"\xff\xd8a plate photo\xff\xd9"}

    class Evidence(BaseModel):
        sha256: str = Field(pattern="^[0-9a-f]{64}$")

    async def evidence(call):
        return photos[call.data.sha256]  # KeyError: no such photo

    hub.services.async_register("ledger", "evidence", evidence, Evidence, roles={Role.INSPECTOR})
    base = ui_url(hub)
    inspector = bearer(await token_for(http, base, Role.INSPECTOR))
    async with http.get(f"{base}/api/evidence/{'ab' * 32}", headers=inspector) as response:
        assert response.status == 200 and response.content_type == "image/jpeg"
        assert await response.read() == photos["ab" * 32]
    async with http.get(f"{base}/api/evidence/{'cd' * 32}", headers=inspector) as response:
        assert response.status == 404
    guard = bearer(await token_for(http, base, Role.GUARD))
    async with http.get(f"{base}/api/evidence/{'ab' * 32}", headers=guard) as response:
        assert response.status == 403


async def test_the_review_queue_keeps_doubtful_reads_across_a_restart_until_settled(
    make_hub, clock, http, tmp_path
) -> None:
    from tests.components.ledger.conftest import passage

    hub = await make_hub(CONFIG, clock=clock, config_dir=tmp_path / "plant")
    await add_role_users(hub)
    doubtful = passage(1, decision="review", reason_code="low_confidence", reason_text="识别置信度低")
    settled = passage(2, decision="review", reason_code="low_confidence")
    for data in (doubtful, passage(3), settled):
        await hub.services.async_call("ledger", "record_passage", data)
    await hub.services.async_call("ledger", "record_followup", {
        "passage_id": settled["passage_id"], "kind": "correction", "reason": "人工确认",
        "data": {"plate": settled["plate"]},
    })  # fmt: skip
    await hub.async_stop()

    hub = await make_hub(CONFIG, clock=clock, config_dir=tmp_path / "plant")
    base = ui_url(hub)
    guard = bearer(await token_for(http, base, Role.GUARD))
    await hub.async_block_till_done()
    async with http.get(f"{base}/api/review", headers=guard) as response:
        assert response.status == 200
        items = (await response.json())["items"]
    assert [(i["passage_id"], i["kind"], i["plate"]) for i in items] == [
        (doubtful["passage_id"], "review", doubtful["plate"])
    ]
    async with http.get(f"{base}/api/review") as response:
        assert response.status == 401
