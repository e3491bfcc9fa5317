"""Field mapping and answer reading, table-driven and without I/O."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.components.uplink.mapping import MappingError, check_record, map_fields, map_inbound
from hub.components.uplink.messages import ledger_source, message_of, record_id
from hub.components.uplink.profile import builtin_profiles, load_profile
from hub.components.uplink.transport import AuthError, BatchRejected, TransportError, interpret

DEFAULT = load_profile("default")
PINYIN = load_profile("pinyin_hmac")
TCP = load_profile("tcp_json")
PLANT = {"code": "91130200MA0TEST001", "name": "测试钢厂", "region": "130200"}
ROW = {
    "seq": 41, "kind": "passage", "passage_id": "6f1c2d7e-0000-4000-8000-000000000041",
    "recorded_ts": 1795478400, "recorded_at": "2026-11-24T08:00:00+08:00", "gate": "east_gate",
    "lane": "in", "direction": "out", "plate": "冀B12345", "colour": "yellow_green",
    "vehicle_class": "transport", "emission_stage": "D", "fuel": "C", "fleet": "顺达物流",
    "decision": "deny", "reason_text": "黑名单车辆", "alert_level": "orange",
    "vehicle": {"vehicle_type": "重型半挂牵引车", "vin": "LFWADRJF1J1000001"},
}  # fmt: skip


def passage_item(profile, **changes):  # type: ignore[no-untyped-def]
    source = ledger_source({**ROW, **changes}, PLANT)
    return map_fields(profile, profile.messages["passage"].fields, source)


@pytest.mark.parametrize(
    ("profile", "field", "expected"),
    [
        (DEFAULT, "direction", 2), (DEFAULT, "plateColor", 5), (DEFAULT, "emissionStage", "D"),
        (DEFAULT, "passTime", "20261124 080000"), (DEFAULT, "decision", 2), (DEFAULT, "alertLevel", "橙色"),
        (DEFAULT, "vin", "LFWADRJF1J1000001"), (DEFAULT, "recordId", ROW["passage_id"]),
        (PINYIN, "CRBZ", "C"), (PINYIN, "HPYS", "5"), (PINYIN, "PFJD", "电动"),
        (PINYIN, "CRSJ", "2026-11-24 08:00:00"), (PINYIN, "CLLB", "01"), (PINYIN, "QYBM", PLANT["code"]),
        (TCP, "direction", 2), (TCP, "pass_time", "20261124080000"), (TCP, "stage", "D"),
    ],
)  # fmt: skip
def test_passage_fields_per_profile(profile, field, expected) -> None:  # type: ignore[no-untyped-def]
    assert passage_item(profile)[field] == expected


def test_a_value_outside_a_code_list_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match=r"purple.*plate_colour"):
        passage_item(DEFAULT, colour="purple")
    assert "fleetName" not in passage_item(DEFAULT, fleet=None)  # what we lack is left out


def test_plant_code_lists_lay_over_the_profile() -> None:
    profile = DEFAULT.with_codes({"gate": {"east_gate": "G01"}})
    assert (
        map_fields(profile, profile.messages["passage"].fields, ledger_source(ROW, PLANT))["gateCode"]
        == "G01"
    )


@pytest.mark.parametrize(
    ("kind", "extra", "field", "expected"),
    [
        ("cargo", {"cargo": "焦炭", "quantity": 31.26, "unit": "t"}, "cargoVolume", 31.3),
        ("weight", {"weight_kg": 49_160}, "weightT", 49.2),
        ("correction", {"plate": "冀B54321", "colour": "yellow"}, "plateColor", 1),
        ("release", {"approver": "张主任", "reason": "抢险"}, "updateType", 2),
    ],
)  # fmt: skip
def test_followups_map_to_updates(kind, extra, field, expected) -> None:  # type: ignore[no-untyped-def]
    row = {**ROW, "kind": kind, "seq": 57, "ref_seq": 41, **extra}
    assert message_of(row) == "update"
    item = map_fields(DEFAULT, DEFAULT.messages["update"].fields, ledger_source(row, PLANT))
    assert item[field] == expected and item["passageId"] == ROW["passage_id"]
    assert item["recordId"] == record_id(row) == f"{ROW['passage_id']}-{kind}-57"


@pytest.mark.parametrize("kind", ["acceptance", "lifecycle", "checkpoint"])
def test_our_own_rows_are_never_uploaded(kind) -> None:  # type: ignore[no-untyped-def]
    assert message_of({**ROW, "kind": kind}) is None


def test_the_platform_checks_required_fields_and_codes() -> None:
    rules = DEFAULT.messages["passage"].fields
    item = passage_item(DEFAULT)
    assert check_record(DEFAULT, rules, item) == []
    broken = {**item, "plateColor": 7, "passTime": "2026-11-24", "plateNo": ""}
    problems = "; ".join(check_record(DEFAULT, rules, broken))
    assert "plateNo" in problems and "plateColor" in problems and "passTime" in problems


def test_control_measure_reads_backwards() -> None:
    payload = {"CSBH": "M-1", "YJJB": "2", "XYJB": "II", "GKCS": "2", "KSSJ": "2026-11-24 00:00:00"}
    measure = map_inbound(PINYIN, PINYIN.messages["control"], payload)
    assert measure == {"id": "M-1", "level": "orange", "response_level": "II", "measure_code": 2,
                       "start": datetime(2026, 11, 24, tzinfo=ZoneInfo("Asia/Shanghai"))}  # fmt: skip
    with pytest.raises(MappingError):
        map_inbound(PINYIN, PINYIN.messages["control"], {"YJJB": "紫色"})


IDS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"code": 0, "data": {"results": [{"id": "a", "status": 1}, {"id": "b", "status": 2, "message": "坏"},
                                          {"id": "c", "status": 3}]}},
         {"a": "accepted", "b": "rejected", "c": "duplicate"}),
        ({"code": 0, "data": {"results": [{"id": "a", "status": 1}]}},
         {"a": "accepted", "b": "unconfirmed", "c": "unconfirmed"}),
        ({"code": 0, "data": {"results": [{"id": "a", "status": 9}, {"id": "b", "status": 77}]}},
         {"a": "retry", "b": "retry", "c": "unconfirmed"}),
    ],
)  # fmt: skip
def test_answers_per_record(body, expected) -> None:  # type: ignore[no-untyped-def]
    assert {k: v.status for k, v in interpret(DEFAULT, body, IDS, single=False).items()} == expected


@pytest.mark.parametrize(
    ("body", "error"),
    [({"code": 401, "message": "token"}, AuthError), ({"code": 500}, TransportError),
     ({"code": 400, "message": "bad"}, BatchRejected), ({"message": "?"}, TransportError),
     (["not", "an", "object"], TransportError)],
)  # fmt: skip
def test_answers_for_the_whole_request(body, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        interpret(DEFAULT, body, IDS, single=False)


def test_shipped_profiles_load() -> None:
    assert {"default", "pinyin_hmac", "tcp_json"} <= set(builtin_profiles())
