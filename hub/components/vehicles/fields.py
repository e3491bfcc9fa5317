"""The fields of each class of mobile source (spec: 'The three classes of mobile source').

One table per class drives validation, the Excel/CSV columns (Chinese headers, in this order) and the
records the services return. `kind` names the parser in validate.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class VehicleClass(StrEnum):
    TRANSPORT = "transport"  # 进出厂运输车辆
    IN_PLANT = "in_plant"  # 厂内运输车辆
    MACHINERY = "machinery"  # 非道路移动机械

    @property
    def label(self) -> str:
        return CLASS_LABELS[self]


CLASS_LABELS = {
    VehicleClass.TRANSPORT: "进出厂运输车辆",
    VehicleClass.IN_PLANT: "厂内运输车辆",
    VehicleClass.MACHINERY: "非道路移动机械",
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    header: str  # the column header of imports and exports
    kind: str  # text, code, plate, colour, vin, date, int, float, bool, stage, fuel, vtype, mtype, ...
    required: bool = False
    max_len: int = 0  # text and code
    low: float = 0  # int and float
    high: float = 0
    aliases: tuple[str, ...] = ()  # other headers people use


def _text(name: str, header: str, max_len: int, *aliases: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, header, "text", required, max_len, aliases=aliases)


def _mass(name: str, header: str, *aliases: str) -> FieldSpec:
    return FieldSpec(name, header, "int", low=0, high=200_000, aliases=aliases)


def _bool(name: str, header: str, *aliases: str) -> FieldSpec:
    return FieldSpec(name, header, "bool", aliases=aliases)


def _photo(name: str, header: str) -> FieldSpec:
    return FieldSpec(name, header, "photo")


PLATE = FieldSpec("plate", "车牌号码", "plate", True, aliases=("车牌", "号牌号码"))
COLOUR = FieldSpec("colour", "车牌颜色", "colour", True, aliases=("号牌颜色", "color"))
VTYPE = FieldSpec("vehicle_type", "车辆类型", "vtype", True)
VIN = FieldSpec("vin", "车辆识别代号", "vin", True, aliases=("VIN", "车架号"))
ENGINE_NO = _text("engine_no", "发动机号码", 32, "发动机号")
REGISTERED = FieldSpec("registration_date", "注册登记日期", "date", True, aliases=("注册日期",))
BRAND = _text("brand_model", "品牌型号", 64)
FUEL = FieldSpec("fuel", "燃料类型", "fuel", True, aliases=("燃料种类",))
STAGE = FieldSpec("emission_stage", "排放阶段", "stage", True, aliases=("排放标准",))
OWNER = _text("owner", "所有人", 100, "车辆所有人", "所属单位")
FLEET = _text("fleet", "车队名称", 100, "车队", "运输企业", "承运单位", "供应商")
NETWORK = _bool("network_status", "联网状态", "是否联网")
OBD = _bool("obd", "有无OBD", "OBD")
WHITELIST = FieldSpec("whitelist", "白名单", "whitelist", aliases=("白名单类型",))
SPECIAL = _bool("special", "特种车辆", "是否特种车辆")
HAZARDOUS = _bool("hazardous", "危化品车辆", "是否危化品车辆")
PHOTO_LIST = _photo("photo_emission_list", "随车清单照片")
PHOTO_LICENCE = _photo("photo_licence", "行驶证照片")
PHOTO_VEHICLE = _photo("photo_vehicle", "车辆照片")
NOTE = _text("note", "备注", 200)
ENV_CODE = FieldSpec("env_code", "环保登记编码", "code", max_len=32, aliases=("环保编码", "登记编码"))
INTERNAL_NO = FieldSpec("internal_no", "内部管理编号", "code", max_len=32, aliases=("内部编号", "厂内编号"))
# The UHF tag (EPC, hex) an RFID reader at the gate reports; like the codes, it names one record.
RFID_TAG = FieldSpec(
    "rfid_tag", "电子标签", "code", max_len=64, aliases=("电子标签号", "RFID", "EPC", "标签号")
)

TRANSPORT_FIELDS: tuple[FieldSpec, ...] = (
    PLATE, COLOUR, VTYPE, VIN, ENGINE_NO, REGISTERED, BRAND, FUEL, STAGE,
    _text("usage", "使用性质", 16),
    _mass("gross_mass_kg", "总质量(kg)", "总质量"),
    _mass("kerb_mass_kg", "整备质量(kg)", "整备质量"),
    _mass("rated_load_kg", "核定载质量(kg)", "核定载质量"),
    _mass("towing_mass_kg", "准牵引总质量(kg)", "准牵引总质量"),
    OWNER, FLEET, NETWORK, OBD, WHITELIST, SPECIAL, HAZARDOUS,
    PHOTO_LIST, PHOTO_LICENCE, PHOTO_VEHICLE, NOTE, RFID_TAG,
)  # fmt: skip

IN_PLANT_FIELDS: tuple[FieldSpec, ...] = (
    INTERNAL_NO, ENV_CODE,
    FieldSpec("plate", "车牌号码", "plate", aliases=PLATE.aliases),
    FieldSpec("colour", "车牌颜色", "colour", aliases=COLOUR.aliases),
    VTYPE, VIN, ENGINE_NO, REGISTERED, BRAND, FUEL, STAGE,
    _mass("rated_load_kg", "核定载质量(kg)", "核定载质量"),
    OWNER, FLEET, NETWORK, OBD, WHITELIST, SPECIAL, HAZARDOUS,
    PHOTO_LIST, PHOTO_LICENCE, PHOTO_VEHICLE, NOTE, RFID_TAG,
)  # fmt: skip

MACHINERY_FIELDS: tuple[FieldSpec, ...] = (
    ENV_CODE, INTERNAL_NO,
    _text("local_code", "地方编码", 32),  # some cities add their own (Tianjin)
    FieldSpec("machine_type", "机械类型", "mtype", True),
    _text("machine_model", "机械型号", 64),
    _text("pin", "机械识别码(PIN)", 64, "PIN", "产品识别码"),
    FieldSpec("production_date", "生产日期", "date", True),
    FieldSpec("emission_stage", "排放阶段", "machine_stage", True, aliases=STAGE.aliases),
    FUEL,
    _text("engine_model", "发动机型号", 64),
    _text("engine_maker", "发动机生产厂", 100, "发动机生产企业", "发动机厂家"),
    _text("engine_no", "发动机编号", 32, "发动机号码"),
    FieldSpec("engine_power_kw", "额定功率(kW)", "float", low=0, high=10_000, aliases=("额定功率",)),
    _text("owner", "所属单位", 100, "所有人"),
    _text("fleet", "供应商", 100, "车队名称", "租赁单位"),
    FieldSpec("onsite_date", "进场日期", "onsite_date"),
    FieldSpec("usable", "是否可用", "usable", aliases=("今日可用",)),
    _photo("photo_engine_plate", "发动机铭牌照片"),
    _photo("photo_machine_plate", "机械铭牌照片"),
    _photo("photo_env_label", "环保标签照片"),
    NOTE, RFID_TAG,
)  # fmt: skip

FIELDS: dict[VehicleClass, tuple[FieldSpec, ...]] = {
    VehicleClass.TRANSPORT: TRANSPORT_FIELDS,
    VehicleClass.IN_PLANT: IN_PLANT_FIELDS,
    VehicleClass.MACHINERY: MACHINERY_FIELDS,
}
PHOTO_FIELDS = {cls: tuple(f.name for f in fields if f.kind == "photo") for cls, fields in FIELDS.items()}
# The documents a record must carry when `require_documents` is on (the spec: at least one of them).
DOCUMENTS = {
    VehicleClass.TRANSPORT: ("photo_emission_list", "photo_licence"),
    VehicleClass.IN_PLANT: ("photo_emission_list", "photo_licence"),
    VehicleClass.MACHINERY: ("photo_engine_plate",),
}


def header_index(vclass: VehicleClass) -> dict[str, str]:
    """Column header (Chinese, English field name or an alias; case and spaces ignored) -> field name."""
    index: dict[str, str] = {}
    for spec in FIELDS[vclass]:
        for spelling in (spec.name, spec.header, *spec.aliases):
            index.setdefault(fold_header(spelling), spec.name)
    return index


def fold_header(text: str) -> str:
    """`*车牌号码 ` / `车牌号码（必填）` / `Plate` all fold to the same key."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lstrip("*").strip().lower()
    for note in ("(必填)", "(选填)"):
        text = text.replace(note, "")
    return text.replace(" ", "").replace("_", "")


def form_tables() -> dict[str, Any]:
    """The field list of each class as a form or a table shows it: Chinese headers, code lists as choices."""
    from . import codes

    yes_no = {"true": "是", "false": "否"}
    choices: dict[str, dict[str, str]] = {
        "stage": {k: v for k, v in codes.STAGE_LABELS.items() if k != "X"},
        "machine_stage": dict(codes.STAGE_LABELS),
        "fuel": dict(codes.FUEL_LABELS),
        "colour": dict(codes.COLOUR_LABELS),
        "whitelist": dict(codes.WHITELIST_LABELS),
        "bool": yes_no,
        "usable": yes_no,
    }
    return {
        "classes": {c.value: CLASS_LABELS[c] for c in VehicleClass},
        "fields": {
            c.value: [
                {
                    "name": s.name, "header": s.header, "kind": s.kind, "required": s.required,
                    "choices": choices.get(s.kind), "max_len": s.max_len or None,
                }
                for s in FIELDS[c]
                if s.kind != "photo"
            ]
            for c in VehicleClass
        },
        # The document photos (行驶证, 随车清单, nameplates): uploaded as files, kept as SHA-256.
        "photos": {
            c.value: [{"name": s.name, "header": s.header} for s in FIELDS[c] if s.kind == "photo"]
            for c in VehicleClass
        },
    }  # fmt: skip
