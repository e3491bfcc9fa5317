"""The admission rules as pure functions: every grade x alert level x vehicle class x direction, the
exemptions, the lists, the conditions of a forbidden rule and the plant's overrides. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.components.policy.config import PolicyConfig
from hub.components.policy.decide import Read, Vehicle, decide
from hub.components.policy.rules import Rule, merge_rules
from hub.core import ConfigError
from hub.core.config import validate_section

TZ = ZoneInfo("Asia/Shanghai")
TUESDAY_0800 = datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
LEVELS = ("normal", "yellow", "orange", "red")
HEAVY = "重型半挂牵引车"


def book(**config):
    return PolicyConfig.model_validate(config).rule_book()


def vehicle(cls: str = "transport", fuel: str = "B", stage: str = "6", **extra) -> Vehicle:
    vtype = extra.pop("vehicle_type", HEAVY if cls != "machinery" else "装载机")
    return Vehicle(vehicle_class=cls, vehicle_type=vtype, fuel=fuel, emission_stage=stage, **extra)


def verdict(b, v, level="normal", direction="in", measure=None, when=TUESDAY_0800, **read):
    r = Read(read.pop("plate", "冀B12345"), read.pop("colour", "yellow"), direction, **read)
    return decide(b, r, v, level=level, measure_code=measure, when=when)


# ----- every grade x level x class x fuel/stage -------------------------------------------------------
# One row per vehicle: the verdict at normal, yellow, orange, red (A allow, D deny).
MATRIX = {
    "B": {
        ("transport", "B", "3"): "DDDD",
        ("transport", "B", "4"): "DDDD",
        ("transport", "B", "5"): "AADD",
        ("transport", "B", "6"): "AAAA",
        ("transport", "E", "4"): "AADD",
        ("transport", "E", "5"): "AADD",
        ("transport", "E", "6"): "AAAA",
        ("transport", "C", "D"): "AAAA",
        ("in_plant", "B", "4"): "AADD",
        ("in_plant", "B", "5"): "AAAA",
        ("machinery", "B", "X"): "AADD",
        ("machinery", "B", "2"): "AADD",
        ("machinery", "B", "3"): "AAAA",
        ("machinery", "C", "D"): "AAAA",
    },
    "C": {
        ("transport", "B", "3"): "DDDD",
        ("transport", "B", "4"): "ADDD",
        ("transport", "B", "5"): "AADD",
        ("transport", "B", "6"): "AAAA",
        ("transport", "E", "4"): "ADDD",
        ("transport", "E", "5"): "AADD",
        ("transport", "C", "D"): "AAAA",
        ("in_plant", "B", "4"): "ADDD",
        ("in_plant", "B", "5"): "AAAA",
        ("machinery", "B", "X"): "ADDD",
        ("machinery", "B", "2"): "ADDD",
        ("machinery", "B", "3"): "AAAA",
    },
    "A": {
        ("transport", "B", "3"): "DDDD",
        ("transport", "B", "4"): "DDDD",
        ("transport", "E", "4"): "DDDD",
        ("transport", "B", "5"): "AAAA",
        ("transport", "E", "5"): "AAAA",
        ("transport", "C", "D"): "AAAA",
        ("in_plant", "B", "4"): "DDDD",
        ("in_plant", "B", "5"): "AAAA",
        ("machinery", "B", "X"): "DDDD",
        ("machinery", "B", "2"): "DDDD",
        ("machinery", "B", "3"): "AAAA",
        ("machinery", "C", "D"): "AAAA",
    },
}
MATRIX["引领性"] = MATRIX["A"]
CASES = [
    (grade, cls, fuel, stage, level, row[i])
    for grade, rows in MATRIX.items()
    for (cls, fuel, stage), row in rows.items()
    for i, level in enumerate(LEVELS)
]


@pytest.mark.parametrize(("grade", "cls", "fuel", "stage", "level", "expected"), CASES)
def test_grade_level_class_matrix(grade, cls, fuel, stage, level, expected) -> None:
    b = book(grade=grade)
    entering = verdict(b, vehicle(cls, fuel, stage), level)
    assert entering.verdict.value == {"A": "allow", "D": "deny"}[expected], entering
    # Exits are recorded, never blocked, unless the plant enforces them; then they follow the same rules.
    assert verdict(b, vehicle(cls, fuel, stage), level, "out").verdict.value == "allow"
    both = book(grade=grade, enforce_directions=["in", "out"])
    assert verdict(both, vehicle(cls, fuel, stage), level, "out").verdict == entering.verdict


@pytest.mark.parametrize(
    ("grade", "level", "v", "code", "text"),
    [
        ("B", "normal", vehicle("transport", "B", "4"), "forbidden", "国四柴油货车禁止入厂"),
        ("B", "orange", vehicle("transport", "B", "5"), "forbidden", "橙色预警期间国五柴油货车禁止入厂"),
        ("B", "red", vehicle("transport", "E", "5"), "forbidden", "红色预警期间国五燃气货车禁止入厂"),
        (
            "B",
            "orange",
            vehicle("machinery", "B", "2"),
            "forbidden",
            "橙色预警期间国二柴油非道路移动机械停止使用",
        ),
        ("C", "yellow", vehicle("transport", "E", "4"), "forbidden", "黄色预警期间国四燃气货车禁止入厂"),
        ("B", "normal", vehicle("transport", "B", "6"), "allowed", "国六柴油货车，准予入厂"),
        ("B", "red", vehicle("transport", "C", "D"), "allowed", "新能源货车，准予入厂"),
    ],
)
def test_reason_texts_are_the_plants_words(grade, level, v, code, text) -> None:
    decision = verdict(book(grade=grade), v, level)
    assert (decision.reason_code, decision.reason_text) == (code, text)


def test_the_rule_that_fired_is_named() -> None:
    assert verdict(book(grade="B"), vehicle("transport", "B", "4")).rule == "b_diesel_stage4"
    assert verdict(book(grade="B"), vehicle("transport", "B", "5"), "red").rule == "b_alert_transport_stage5"
    assert verdict(book(grade="B"), vehicle("transport", "B", "6")).rule is None


def test_light_trucks_are_outside_the_heavy_vehicle_bans_of_grade_b() -> None:
    light = vehicle("transport", "B", "4", vehicle_type="轻型普通货车")
    assert verdict(book(grade="B"), light).allowed
    assert not verdict(book(grade="A"), light).allowed  # grade A names every transport vehicle
    n3 = vehicle("transport", "B", "4", vehicle_type="N3")
    assert not verdict(book(grade="B"), n3).allowed


def test_exit_reason_keeps_why_it_would_have_been_stopped() -> None:
    d = verdict(book(), None, direction="out")
    assert (d.verdict.value, d.reason_code, d.reason_text) == (
        "allow",
        "exit_recorded",
        "准予出厂（已记录：未备案车辆）",
    )
    assert d.needs_review
    assert verdict(book(), vehicle(), direction="out").reason_text == "国六柴油货车，准予出厂"
    enforced = verdict(
        book(enforce_directions=["in", "out"]), vehicle("transport", "B", "4"), direction="out"
    )
    assert enforced.reason_text == "国四柴油货车禁止出厂"


# ----- exemptions --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exemptions", "holder", "allowed", "text"),
    [
        (["safety", "livelihood"], {"whitelist": "safety"}, True, "安全生产保障车辆，预警期间豁免，准予入厂"),
        (["safety", "livelihood"], {"whitelist": "livelihood"}, True, "民生保障车辆，预警期间豁免，准予入厂"),
        (["livelihood"], {"whitelist": "safety"}, False, "橙色预警期间国五柴油货车禁止入厂"),
        (["safety", "livelihood"], {"special": True}, False, "橙色预警期间国五柴油货车禁止入厂"),
        (["special"], {"special": True}, True, "特种作业车辆，预警期间豁免，准予入厂"),
        (["hazardous"], {"hazardous": True}, True, "危化品运输车辆，预警期间豁免，准予入厂"),
        ([], {"whitelist": "safety"}, False, "橙色预警期间国五柴油货车禁止入厂"),
    ],
)
def test_exemptions_the_plant_honours(exemptions, holder, allowed, text) -> None:
    d = verdict(book(exemptions=exemptions), vehicle("transport", "B", "5", **holder), "orange")
    assert (d.allowed, d.reason_text) == (allowed, text)
    if allowed:
        assert d.reason_code == "exempt"


def test_a_rule_may_name_its_own_exemptions() -> None:
    b = book(rules=[{"id": "b_alert_transport_stage5", "exemptions": []}])
    assert not verdict(b, vehicle("transport", "B", "5", whitelist="safety"), "orange").allowed
    b = book(rules=[{"id": "b_diesel_stage4", "exemptions": ["hazardous"]}])
    assert verdict(b, vehicle("transport", "B", "4", hazardous=True)).allowed


# ----- lists, unknown vehicles, doubtful reads ---------------------------------------------------------
def test_blacklist_beats_pass_and_exemption() -> None:
    tomorrow = TUESDAY_0800 + timedelta(days=1)
    v = vehicle(
        blacklisted=True, blacklist_reason="遥感监测超标", pass_valid_until=tomorrow, whitelist="safety"
    )
    d = verdict(book(), v)
    assert (d.verdict.value, d.reason_code, d.reason_text) == (
        "deny",
        "blacklisted",
        "黑名单车辆：遥感监测超标",
    )
    assert verdict(book(), vehicle(blacklisted=True)).reason_text == "黑名单车辆"


def test_temporary_pass_allows_until_it_expires() -> None:
    old = vehicle("transport", "B", "3", pass_valid_until=TUESDAY_0800 + timedelta(hours=2))
    d = verdict(book(), old, "red")
    assert (d.allowed, d.reason_code, d.reason_text) == (
        True,
        "temporary_pass",
        "临时通行（有效至11-24 10:00），准予入厂",
    )
    expired = vehicle("transport", "B", "3", pass_valid_until=TUESDAY_0800 - timedelta(minutes=1))
    assert not verdict(book(), expired).allowed


@pytest.mark.parametrize(
    ("setting", "expected", "code", "text", "review"),
    [
        ("deny", "deny", "unregistered", "未备案车辆", False),
        ("review", "review", "unregistered", "未备案车辆，待人工确认", True),
        ("allow", "allow", "unregistered", "未备案车辆，放行并标记待核", True),
    ],
)
def test_unregistered_vehicles(setting, expected, code, text, review) -> None:
    d = verdict(book(unknown_vehicle=setting), None)
    assert (d.verdict.value, d.reason_code, d.reason_text, d.needs_review) == (expected, code, text, review)
    assert d.vehicle_class == "unknown"


def test_machinery_must_be_usable_today() -> None:
    d = verdict(book(), vehicle("machinery", "B", "4", usable_today=False))
    assert (d.verdict.value, d.reason_text) == ("deny", "非道路移动机械今日不可使用")
    assert verdict(book(), vehicle("machinery", "B", "4", usable_today=True)).allowed
    assert verdict(
        book(machinery_usable_today=False), vehicle("machinery", "B", "4", usable_today=False)
    ).allowed


def test_low_confidence_read_goes_to_the_guard_or_is_decided_and_flagged() -> None:
    d = verdict(book(), vehicle(), needs_review=True, confidence=0.4)
    assert (d.verdict.value, d.reason_code, d.reason_text) == (
        "review",
        "low_confidence",
        "车牌识别置信度低，待人工确认",
    )
    d = verdict(book(low_confidence="decide"), vehicle(), needs_review=True)
    assert (d.verdict.value, d.needs_review) == ("allow", True)
    d = verdict(book(low_confidence="decide"), vehicle("transport", "B", "4"), needs_review=True)
    assert (d.verdict.value, d.needs_review) == ("deny", True)


def test_a_failed_lookup_goes_to_the_guard() -> None:
    r = Read("冀B12345", "yellow", "in")
    d = decide(book(), r, None, level="normal", measure_code=None, when=TUESDAY_0800, lookup_failed=True)
    assert (d.verdict.value, d.reason_code) == ("review", "lookup_failed")


# ----- platform control measures ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "fuel", "stage", "allowed"),
    [
        (1, "B", "3", False),
        (1, "B", "4", True),
        (2, "B", "4", False),
        (2, "E", "4", False),
        (2, "B", "5", True),
        (3, "B", "4", False),
        (3, "B", "5", True),
        (3, "E", "5", False),
        (3, "E", "6", True),
        (4, "B", "6", False),
        (4, "C", "D", False),
    ],
)
def test_control_measures_1_to_4(code, fuel, stage, allowed) -> None:
    # Grade A at normal has no ban past 国四, so what denies here is the measure.
    b = book(grade="A", rules=[{"id": "a_transport_stage4", "enabled": False}])
    d = verdict(b, vehicle("transport", fuel, stage), measure=code)
    assert d.allowed is allowed, d
    if not allowed:
        assert d.reason_code == "control_measure" and d.rule.startswith(f"measure_{code}")
    assert verdict(b, vehicle("transport", fuel, stage), measure=None).allowed


def test_measure_4_text_and_in_plant_vehicles_untouched() -> None:
    d = verdict(book(), vehicle("transport", "B", "6"), measure=4)
    assert d.reason_text == "重污染天气管控：停止公路运输，货车禁止入厂"
    assert verdict(book(), vehicle("in_plant", "B", "6"), measure=4).allowed


# ----- conditions of a forbidden rule ------------------------------------------------------------------
def rule(**fields) -> Rule:
    return Rule.model_validate({"id": "r", **fields})


@pytest.mark.parametrize(
    ("fields", "when", "matches"),
    [
        ({"weekdays": [2]}, TUESDAY_0800, True),
        ({"weekdays": [6, 7]}, TUESDAY_0800, False),
        ({"times": ["07:00-09:00"]}, TUESDAY_0800, True),
        ({"times": ["08:01-09:00"]}, TUESDAY_0800, False),
        ({"times": ["22:00-06:00"]}, TUESDAY_0800.replace(hour=23), True),
        ({"times": ["22:00-06:00"]}, TUESDAY_0800.replace(hour=5, minute=59), True),
        ({"times": ["22:00-06:00"]}, TUESDAY_0800.replace(hour=6), False),
        ({"date_from": "2026-11-15", "date_until": "2027-03-15"}, TUESDAY_0800, True),
        ({"date_from": "2026-11-25"}, TUESDAY_0800, False),
        ({"date_until": "2026-11-24"}, TUESDAY_0800, True),
        ({"enabled": False}, TUESDAY_0800, False),
        ({"levels": ["red"]}, TUESDAY_0800, False),
        ({"directions": ["out"]}, TUESDAY_0800, False),
    ],
)
def test_rule_conditions_in_time(fields, when, matches) -> None:
    assert rule(**fields).applies("normal", "in", frozenset({"in"}), when) is matches


@pytest.mark.parametrize(
    ("fields", "facts", "matches"),
    [
        ({"vehicle_types": ["重型*"]}, ("transport", HEAVY, "yellow", "B", "4"), True),
        ({"vehicle_types": ["重型*"]}, ("transport", "中型普通货车", "yellow", "B", "4"), False),
        ({"vehicle_types": ["重型*"]}, ("transport", None, "yellow", "B", "4"), True),
        ({"vehicle_types": ["重型*"], "missing": "skip"}, ("transport", None, "yellow", "B", "4"), False),
        ({"plate_colours": ["yellow"]}, ("transport", HEAVY, "yellow", "B", "4"), True),
        ({"plate_colours": ["yellow"]}, ("transport", HEAVY, "blue", "B", "4"), False),
        ({"plate_colours": ["yellow"]}, ("transport", HEAVY, "unknown", "B", "4"), True),
        ({"fuels": ["b"]}, ("transport", HEAVY, "yellow", "B", "4"), True),
        ({"fuels": ["E", "F"]}, ("transport", HEAVY, "yellow", "B", "4"), False),
        ({"stages": ["4", "5"]}, ("transport", HEAVY, "yellow", "B", "5"), True),
        ({"stages": ["4", "5"]}, ("transport", HEAVY, "yellow", "B", "6"), False),
        ({"max_stage": 2}, ("machinery", "装载机", None, "B", "X"), True),
        ({"max_stage": 6}, ("transport", HEAVY, "yellow", "C", "D"), False),
        ({"max_stage": 4}, ("transport", HEAVY, "yellow", "B", None), True),
        ({"max_stage": 4, "missing": "skip"}, ("transport", HEAVY, "yellow", "B", None), False),
        ({"classes": ["in_plant"]}, ("transport", HEAVY, "yellow", "B", "4"), False),
    ],
)
def test_rule_conditions_on_the_vehicle(fields, facts, matches) -> None:
    assert rule(**fields).matches_vehicle(*facts) is matches


def test_a_review_rule_holds_the_vehicle_for_the_guard() -> None:
    b = book(
        rules=[
            {"id": "tankers", "vehicle_types": ["*罐式*"], "action": "review", "reason_text": "罐车请登记"}
        ]
    )
    d = verdict(b, vehicle("transport", "B", "6", vehicle_type="重型罐式货车"))
    assert (d.verdict.value, d.reason_text, d.rule, d.needs_review) == (
        "review",
        "罐车请登记",
        "tankers",
        True,
    )


# ----- the plant's overrides ---------------------------------------------------------------------------
def test_plant_rules_change_only_what_they_name() -> None:
    b = book(rules=[{"id": "b_diesel_stage4", "max_stage": 3}])
    changed = next(r for r in b.rules if r.id == "b_diesel_stage4")
    assert changed.max_stage == 3 and changed.fuels == ["B"] and changed.vehicle_types == ["重型*", "N3"]
    assert verdict(b, vehicle("transport", "B", "4")).allowed
    assert not verdict(
        book(rules=[{"id": "b_diesel_stage4", "enabled": True}]), vehicle("transport", "B", "4")
    ).allowed


def test_plant_adds_a_rule_and_rewords_a_text() -> None:
    night = {
        "id": "night_ban",
        "classes": ["transport"],
        "times": ["22:00-06:00"],
        "reason_text": "夜间禁止{go}",
    }
    b = book(rules=[night], texts={"unregistered": "无备案信息"})
    assert [r.id for r in b.rules][-1] == "night_ban"
    assert verdict(b, vehicle(), when=TUESDAY_0800.replace(hour=23)).reason_text == "夜间禁止入厂"
    assert verdict(b, vehicle()).allowed
    assert verdict(b, None).reason_text == "无备案信息"


def test_merge_keeps_order_and_appends() -> None:
    defaults = [rule(id="a"), rule(id="b")]
    merged = merge_rules(defaults, [rule(id="c"), Rule(id="a", enabled=False)])
    assert [(r.id, r.enabled) for r in merged] == [("a", False), ("b", True), ("c", True)]


def test_shipped_a_alert_rule_is_off_until_the_plant_switches_it_on() -> None:
    five = vehicle("transport", "B", "5")
    assert verdict(book(grade="A"), five, "red").allowed
    assert not verdict(
        book(grade="A", rules=[{"id": "a_alert_transport_stage5", "enabled": True}]), five, "red"
    ).allowed


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"grade": "D"}, "unknown performance grade"),
        ({"rules": [{"id": "x", "times": ["7-9"]}]}, "expected HH:MM-HH:MM"),
        ({"rules": [{"id": "x", "max_stage": 9}]}, "less than or equal to 6"),
        ({"rules": [{"id": "Bad id"}]}, "should match pattern"),
        ({"rules": [{"id": "x", "date_from": "2026-12-01", "date_until": "2026-11-01"}]}, "before date_from"),
        ({"rules": [{"id": "measure_1"}]}, "rule id used twice"),
        ({"unknown_vehicle": "maybe"}, "'deny', 'review' or 'allow'"),
        ({"measures": {1: [{"id": "m", "stage": "4"}]}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_configuration_is_a_clear_error(section, message) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_section("policy", PolicyConfig, section)


def test_register_record_is_read_tolerantly() -> None:
    v = Vehicle.from_lookup(
        {
            "vehicle_class": "transport", "fuel": "b", "emission_stage": "d",
            "vehicle_type": " 重型自卸货车 ", "blacklisted": 0, "whitelist": "",
            "temporary_pass": {"valid_until": "not a date"},
        }
    )  # fmt: skip
    assert (v.fuel, v.emission_stage, v.vehicle_type, v.blacklisted) == ("B", "D", "重型自卸货车", False)
    assert v.pass_valid_until is None and v.whitelist is None
    v = Vehicle.from_lookup({"temporary_pass": {"valid_until": "2026-11-24T12:00:00+08:00"}})
    assert v.pass_valid_until == datetime(2026, 11, 24, 12, tzinfo=TZ)


def test_a_plate_known_only_from_the_lists_is_unregistered() -> None:
    only_listed = Vehicle.from_lookup({"vehicle_class": "unknown", "registered": False, "blacklisted": False})
    assert verdict(book(), only_listed).reason_code == "unregistered"
    banned = Vehicle.from_lookup({"vehicle_class": "unknown", "registered": False, "blacklisted": True})
    assert verdict(book(), banned).reason_code == "blacklisted"
    permit = {"valid_until": (TUESDAY_0800 + timedelta(hours=1)).isoformat()}
    passing = Vehicle.from_lookup({"vehicle_class": "unknown", "registered": False, "temporary_pass": permit})
    assert verdict(book(), passing).reason_code == "temporary_pass"


def test_a_colour_the_register_does_not_hold_is_flagged() -> None:
    d = verdict(book(), vehicle(colour_mismatch=True), colour="blue")
    assert (d.verdict.value, d.needs_review) == ("allow", True)
