"""The HJ 1321 / 2020 appendix tables (电子台账) as rows: field order of the guideline's tables, times as
`yyyymmdd HHMMSS`, dates as `yyyymmdd`, emission stage as its code 0..6/D/X with the Chinese label beside,
direction 1 in / 2 out, transport volume in tonnes with one decimal (pure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hub.util.code_lists import FUEL_LABELS, STAGE_LABELS

from .const import (
    CLASS_LABELS,
    COLOUR_LABELS,
    DECISION_LABELS,
    DIRECTION_CODES,
    DIRECTION_LABELS,
    LEVEL_LABELS,
)
from .sheets import Column

TONNES = "0.0"


def hj_time(iso: str | None) -> str:
    """`2026-11-24T08:05:09+08:00` -> `20261124 080509` (the plant's local time, as recorded)."""
    if not iso:
        return ""
    return f"{iso[0:4]}{iso[5:7]}{iso[8:10]} {iso[11:13]}{iso[14:16]}{iso[17:19]}"


def hj_date(iso: str | None) -> str:
    return f"{iso[0:4]}{iso[5:7]}{iso[8:10]}" if iso and len(iso) >= 10 else ""


def labelled(code: str | None, labels: dict[str, str]) -> str:
    """A code shown as its Chinese label with the code beside: `国五(5)`."""
    if code in (None, ""):
        return ""
    return f"{labels.get(code, code)}({code})"


def tonnes(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def yes_no(value: Any) -> str:
    return "" if value is None else ("是" if value in (True, "true", 1, "1") else "否")


# ----- the per-passage ledger (每车次台账) -----------------------------------------------------------------
PASSAGE_TABLE: tuple[Column, ...] = (
    Column("序号", 8), Column("进出厂时间", 17), Column("门岗", 10), Column("车道", 8),
    Column("进出方向", 6), Column("方向说明", 6), Column("车牌号码", 11), Column("车牌颜色", 10),
    Column("车辆识别代号(VIN)", 20), Column("车辆类别", 14), Column("车辆类型", 14),
    Column("燃料类型", 6), Column("燃料说明", 8), Column("排放阶段", 6), Column("排放阶段说明", 10),
    Column("车队名称", 22), Column("货物名称", 12), Column("运输量(吨)", 9, TONNES), Column("单位", 6),
    Column("起运地", 12), Column("目的地", 12), Column("驾驶员", 8), Column("联系电话", 12),
    Column("判定", 8), Column("原因", 26), Column("特批放行", 6), Column("审批人", 8),
    Column("预警等级", 10), Column("车牌照片", 14, link=True), Column("车身照片", 14, link=True),
    Column("视频", 14), Column("上传状态", 8), Column("通行编号", 36),
)  # fmt: skip


def passage_row(p: dict[str, Any], n: int, photo_url: Callable[[str | None], str | None]) -> list[Any]:
    cargo = p.get("cargo") or {}
    vehicle = p.get("vehicle") or {}
    quantity = p.get("tonnes")
    return [
        n, hj_time(p["recorded_at"]), p.get("gate"), p.get("lane"), DIRECTION_CODES.get(p["direction"], ""),
        DIRECTION_LABELS.get(p["direction"], ""), p.get("plate"), labelled(p.get("colour"), COLOUR_LABELS),
        vehicle.get("vin"), labelled(p.get("vehicle_class"), CLASS_LABELS), vehicle.get("vehicle_type"),
        p.get("fuel") or "", FUEL_LABELS.get(p.get("fuel") or "", ""), p.get("emission_stage") or "",
        STAGE_LABELS.get(p.get("emission_stage") or "", ""), p.get("fleet"), cargo.get("cargo"),
        tonnes(quantity), "吨" if quantity is not None else cargo.get("unit"), cargo.get("origin"),
        cargo.get("destination"), cargo.get("driver"), cargo.get("driver_phone"),
        DECISION_LABELS.get(p.get("decision") or "", p.get("decision")), p.get("reason_text"),
        yes_no(p.get("released")), p.get("approver") or p.get("released_by"),
        LEVEL_LABELS.get(p.get("alert_level") or "", p.get("alert_level")),
        photo_url(p.get("photo_plate")), photo_url(p.get("photo_scene")), p.get("video_ref"),
        p.get("acceptance"), p.get("passage_id"),
    ]  # fmt: skip


# ----- the registers of the three classes (三类移动源台账) ------------------------------------------------
def _stage(v: dict[str, Any]) -> list[Any]:
    code = v.get("emission_stage") or ""
    return [code, STAGE_LABELS.get(code, "")]


def _fuel(v: dict[str, Any]) -> list[Any]:
    code = v.get("fuel") or ""
    return [code, FUEL_LABELS.get(code, "")]


REGISTER_TABLES: dict[str, tuple[tuple[Column, ...], Callable[[dict[str, Any]], list[Any]]]] = {
    "transport": (
        (Column("车牌号码", 11), Column("车牌颜色", 10), Column("车辆类型", 14),
         Column("车辆识别代号(VIN)", 20), Column("发动机号码", 16),
         Column("注册登记日期", 10), Column("品牌型号", 16), Column("燃料类型", 6),
         Column("燃料说明", 8), Column("排放阶段", 6), Column("排放阶段说明", 10), Column("使用性质", 8),
         Column("总质量(kg)", 9, "0"), Column("整备质量(kg)", 9, "0"), Column("核定载质量(kg)", 9, "0"),
         Column("准牵引总质量(kg)", 9, "0"), Column("所有人", 20), Column("车队名称", 22),
         Column("联网状态", 6), Column("有无OBD", 6), Column("随车清单", 8), Column("行驶证", 8)),
        lambda v: [
            v.get("plate"), labelled(v.get("colour"), COLOUR_LABELS), v.get("vehicle_type"), v.get("vin"),
            v.get("engine_no"), hj_date(v.get("registration_date")), v.get("brand_model"), *_fuel(v),
            *_stage(v), v.get("usage"), v.get("gross_mass_kg"), v.get("kerb_mass_kg"), v.get("rated_load_kg"),
            v.get("towing_mass_kg"), v.get("owner"), v.get("fleet"), yes_no(v.get("network_status")),
            yes_no(v.get("obd")), yes_no(bool(v.get("photo_emission_list"))),
            yes_no(bool(v.get("photo_licence"))),
        ],
    ),
    "in_plant": (
        (Column("环保登记编码/内部管理编号", 20), Column("注册登记日期", 10), Column("车辆识别代号(VIN)", 20),
         Column("发动机号码", 16), Column("排放阶段", 6), Column("排放阶段说明", 10), Column("燃料类型", 6),
         Column("燃料说明", 8), Column("车辆类型", 14), Column("车牌号码", 11), Column("车牌颜色", 10),
         Column("核定载质量(kg)", 9, "0"), Column("随车清单", 8), Column("行驶证", 8)),
        lambda v: [
            v.get("env_code") or v.get("internal_no"), hj_date(v.get("registration_date")), v.get("vin"),
            v.get("engine_no"), *_stage(v), *_fuel(v), v.get("vehicle_type"), v.get("plate"),
            labelled(v.get("colour"), COLOUR_LABELS), v.get("rated_load_kg"),
            yes_no(bool(v.get("photo_emission_list"))), yes_no(bool(v.get("photo_licence"))),
        ],
    ),
    "machinery": (
        (Column("环保登记编码", 20), Column("生产日期", 10), Column("排放阶段", 6),
         Column("排放阶段说明", 10), Column("机械识别码(PIN)", 20), Column("机械类型", 12),
         Column("机械型号", 12), Column("发动机型号", 12),
         Column("发动机生产厂", 16), Column("发动机编号", 16), Column("额定功率(kW)", 9, "0.0"),
         Column("燃料类型", 6), Column("燃料说明", 8), Column("所属单位", 20), Column("进场日期", 10),
         Column("地方编码", 12), Column("发动机铭牌", 8)),
        lambda v: [
            v.get("env_code"), hj_date(v.get("production_date")), *_stage(v), v.get("pin"),
            v.get("machine_type"), v.get("machine_model"), v.get("engine_model"), v.get("engine_maker"),
            v.get("engine_no"), v.get("engine_power_kw"), *_fuel(v), v.get("owner"),
            hj_date(v.get("onsite_date")), v.get("local_code"), yes_no(bool(v.get("photo_engine_plate"))),
        ],
    ),
}  # fmt: skip

# ----- the platform's daily statistics (日统计) ------------------------------------------------------------
DAILY_STAGES = ("0", "1", "2", "3", "4", "5", "6", "D")
DAILY_TABLE: tuple[Column, ...] = (
    Column("日期", 10), Column("入厂车次", 8, "0"), Column("出厂车次", 8, "0"), Column("放行", 8, "0"),
    Column("禁止", 8, "0"), Column("特批放行", 8, "0"),
    *(Column(f"入厂{STAGE_LABELS[s]}({s})", 8, "0") for s in DAILY_STAGES),
    Column("入厂运输量(吨)", 10, TONNES), Column("出厂运输量(吨)", 10, TONNES),
    Column("车次(进出配对)", 9, "0"),
)  # fmt: skip


def daily_row(day: dict[str, Any], stages_in: dict[str, int]) -> list[Any]:
    return [
        hj_date(day["date"]),
        day["in"],
        day["out"],
        day["allow"],
        day["deny"],
        day["released"],
        *(stages_in.get(s, 0) for s in DAILY_STAGES),
        tonnes(day["tonnes_in"]),
        tonnes(day["tonnes_out"]),
        day["trips"],
    ]
