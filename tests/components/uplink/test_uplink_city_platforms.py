"""The city platforms' profiles against the simulator speaking each variant: the transportControl family
(pinyin keys with data: photos, English keys with bare base64, /mjApi with both keys and photos as
separate files) and the token-header family. Records carry serial numbers that never collide, cargo
goes as its own record, an unmapped code parks the record with its reason, a resend leaves one copy,
the token is fetched again before it ends and when the platform refuses it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from hub.components.uplink.profile import load_profile
from tests.common import expect_event, wait_state
from tests.components.uplink.conftest import JPEG, passage, record, status, uplink_yaml

PLANT = "91130200MA0TEST001"
VARIANTS = ["transport_control", "transport_control_en", "transport_control_mj", "transport_token"]
# Per profile: the passage's serial field, its plate field, the cargo message's cargo-name field and unit
# field, where the photos go (inline field names or the photo message's image field) and how.
SHAPE = {
    "transport_control": ("lsh", "cphm", "hwmc", "ysldw", {"plate": "cpzp", "scene": "clzp"}, "data_uri"),
    "transport_control_en": ("serialNum", "license", "goodsName", "unit",
                             {"plate": "licenseImg", "scene": "vehicleImg"}, "base64"),
    "transport_control_mj": ("lsh", "cphm", "hwmc", "ysldw", "tp", "base64"),
    "transport_token": ("serialNum", "plateNo", "cargoName", "unit", {"scene": "image"}, "base64"),
}  # fmt: skip


def decoded(value: str, how: str) -> bytes:
    if how == "data_uri":
        assert value.startswith("data:image/jpeg;base64,"), value[:40]
        return base64.b64decode(value.split(",", 1)[1])
    assert not value.startswith("data:"), value[:40]
    return base64.b64decode(value, validate=True)


async def followup(hub, passage_id: str, kind: str, data: dict) -> dict:  # type: ignore[no-untyped-def]
    return await hub.services.async_call(
        "ledger", "record_followup", {"passage_id": passage_id, "kind": kind, "data": data}
    )


@pytest.mark.parametrize("profile", VARIANTS)
async def test_records_serials_photos_cargo_parking_resend(make_hub, clock, start_sim, profile) -> None:
    serial_field, plate_field, cargo_field, unit_field, photos, encoding = SHAPE[profile]
    sim = await start_sim(profile)
    text = uplink_yaml(sim.url, profile=profile, platform="codes: {gate: {east_gate: G01}}")
    hub = await make_hub(text, clock=clock)
    assert "uplink" in hub.loaded, hub.setup_errors
    # Two trucks through one gate in the same second: plant + gate + A/B + yyMMddHHmmss alone collide.
    data = [passage(1), passage(2)]
    seqs = [(await record(hub, item))["seq"] for item in data]
    await sim.wait_for(lambda: len(sim.ids()) == 2)
    serials = [f"{PLANT}G01A261124080000{seq:08d}" for seq in seqs]
    sent = [sim.received["passage"][rid] for rid in sim.ids()]
    assert [s[serial_field] for s in sent] == serials
    assert [s[plate_field] for s in sent] == ["冀B00001", "冀B00002"]
    if isinstance(photos, dict):  # inline, encoded as this city wants (the simulator checks it too)
        for role, name in photos.items():
            assert decoded(sent[0][name], encoding) == JPEG + f"{role}-1".encode()
    else:  # separate files after their passage, keyed by the passage's serial and the image number
        await sim.wait_for(lambda: len(sim.received["photo"]) == 4)
        files = [v for v in sim.received["photo"].values() if v["lsh"] == serials[0]]
        assert sorted(decoded(f[photos], encoding) for f in files) == [JPEG + b"plate-1", JPEG + b"scene-1"]
        assert {f["tplx"] for f in files} == {"1"}  # 1 entry / 2 exit
    # Cargo is its own record and carries its passage's serial; a unit the platform has no code for
    # parks the record with the reason instead of sending a guess.
    await followup(hub, data[0]["passage_id"], "cargo", {"cargo": "铁矿石", "quantity": 32.46, "unit": "t"})
    await followup(hub, data[1]["passage_id"], "cargo", {"cargo": "焦炭", "quantity": 12, "unit": "m3"})
    await sim.wait_for(lambda: len(sim.received["cargo"]) == 1)
    cargo = next(iter(sim.received["cargo"].values()))
    assert cargo[cargo_field] == "铁矿石" and cargo[unit_field] == "t"
    assert serials[0] in cargo.values()
    await wait_state(hub, "sensor.uplink_province_rejected_today", lambda s: s == "1")
    found = await status(hub)
    assert found["parked_total"] == 1, found
    parked = found["parked"][0]
    assert parked["kind"] == "cargo" and parked["source"] == "mapping"
    assert f"{unit_field}: 'm3' is not in code list cargo_unit" in parked["reason"]
    # A resend of the period: the platform recognises every record by its serial and keeps one copy.
    hour = timedelta(hours=1)
    period = {"start": (clock.now() - hour).isoformat(), "end": (clock.now() + hour).isoformat()}
    done = expect_event(hub, "uplink_resend_done")
    await hub.services.async_call("uplink", "resend", period)
    await done
    assert len(sim.ids()) == 2 and len(sim.received["cargo"]) == 1
    assert sim.duplicates["passage"] == 2 and sim.duplicates["cargo"] == 1
    assert sim.rejections == [] and sim.auth_failures == 0


@pytest.mark.parametrize("profile", VARIANTS)
async def test_token_refreshed_before_it_ends_and_when_refused(make_hub, clock, start_sim, profile) -> None:
    sim = await start_sim(profile, token_seconds=7200)
    hub = await make_hub(uplink_yaml(sim.url, profile=profile), clock=clock)
    await record(hub, passage(1))
    await sim.wait_for(lambda: len(sim.ids()) == 1)
    assert sim.token_grants == 1
    # Ten minutes before the two hours are up, the next request fetches a new token first.
    margin = load_profile(profile).auth.refresh_margin_seconds
    clock.set(clock.now() + timedelta(seconds=7200 - margin + 1))
    await record(hub, passage(2))
    await sim.wait_for(lambda: len(sim.ids()) == 2)
    assert sim.token_grants == 2 and sim.auth_failures == 0
    # The platform forgets its tokens (a restart): the refused request is sent again with a new one.
    sim.expire_tokens()
    await record(hub, passage(3))
    await sim.wait_for(lambda: len(sim.ids()) == 3)
    assert sim.token_grants == 3 and sim.auth_failures == 1
    assert (await status(hub))["parked_total"] == 0


def test_variants_are_data() -> None:
    """The variants differ only in data: one family, its city variants laid over it (`extends`)."""
    base, english, mj = (load_profile(n) for n in VARIANTS[:3])
    assert base.codes["plate_colour"]["unknown"] == "0" and english.codes["plate_colour"]["unknown"] == "5"
    assert base.codes["plate_colour"]["yellow_green"] == english.codes["plate_colour"]["yellow_green"] == "6"
    assert mj.messages["passage"].path == "/mjApi/restapi/transportControl/put_data"
    assert {"lsh", "serialNum", "cphm", "license"} <= set(mj.messages["passage"].fields)
    assert "lsh" not in english.messages["passage"].fields
    assert base.photos.data_uri and not english.photos.data_uri and mj.photos.mode == "separate"
    for profile in (base, english, mj, load_profile("transport_token")):
        assert "接口文档" in profile.description


async def test_one_plant_one_policy_answer_kept_as_it_came(make_hub, clock, start_sim) -> None:
    sim = await start_sim("transport_control_mj")
    sim.one_policy = {"planNo": "YCYC-2026-09", "measures": [{"level": "orange", "text": "减少国五车辆 30%"}]}
    hub = await make_hub(uplink_yaml(sim.url, profile="transport_control_mj"), clock=clock)
    await sim.wait_for(lambda: sim.requests["one_policy"] == 1)  # asked on the link's first round
    await record(hub, passage(1))  # the link's steps run in turn: this goes after the answer is kept
    await sim.wait_for(lambda: len(sim.ids()) == 1)
    kept = (await status(hub))["one_policy"]
    assert kept["answer"] == {"code": "200", "status": "ok", "value": sim.one_policy}
    assert kept["at"] == clock.now().isoformat()
