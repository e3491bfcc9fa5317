"""Code lists of the register (spec: 'Code lists'): emission stage, fuel, plate colour, vehicle and machine
types, whitelists, yes/no. Each list has a canonical code (what is stored and looked up), a Chinese label
(what exports and the HMI show) and the spellings people type, which the importers accept.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from hub.util.code_lists import FUEL_LABELS, STAGE_LABELS
from hub.util.plate import PlateColour

from .problems import problem


class CodeError(ValueError):
    """A value that is not in a code list; the message says what is allowed."""


def clean(value: object) -> str:
    """Half-width, trimmed text of a cell; Excel numbers lose a trailing `.0`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _index(labels: Mapping[str, str], aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Every accepted spelling (folded to upper case, no spaces) -> canonical code."""
    out: dict[str, str] = {}
    for code, label in labels.items():
        for spelling in (code, label, *aliases.get(code, ())):
            out[_fold(spelling)] = code
    return out


def _fold(text: str) -> str:
    return clean(text).upper().replace(" ", "").replace("_", "").replace("-", "")


def _lookup(index: Mapping[str, str], value: object, what: str, labels: Mapping[str, str]) -> str:
    code = index.get(_fold(clean(value)))
    if code is None:
        allowed = ", ".join(f"{c} {label}" if c != label else c for c, label in labels.items())
        raise CodeError(problem(f"unknown_{what}", value=clean(value), allowed=allowed))
    return code


# ----- emission stage: one character, 0..6, D electric, X none (machinery only) ----------------------
_ROMAN = ("0", "I", "II", "III", "IV", "V", "VI")
_STAGE_ALIASES: dict[str, list[str]] = {
    str(n): [f"国{n}", f"国{_ROMAN[n]}", f"CHINA{n}", f"CHINA{_ROMAN[n]}", f"国{'零一二三四五六'[n]}"]
    for n in range(7)
}
_STAGE_ALIASES["6"] += ["国六A", "国六B", "国6A", "国6B", "国VIA", "国VIB"]
_STAGE_ALIASES["D"] = ["纯电动", "电", "ELECTRIC", "EV", "新能源纯电动"]
_STAGE_ALIASES["X"] = ["无", "NONE", "无阶段"]
_STAGES = _index(STAGE_LABELS, _STAGE_ALIASES)
STAGE_WORD = "stage"  # the code list as problems.py names it


def parse_stage(value: object, *, allow_none: bool) -> str:
    text = clean(value)
    # 国五燃气 / 国六柴油: the fuel is its own field; the words only repeat it.
    for word in ("燃气", "柴油", "汽油"):
        text = text.removesuffix(word)
    code = _lookup(_STAGES, text, STAGE_WORD, STAGE_LABELS)
    if code == "X" and not allow_none:
        raise CodeError(problem("stage_none_road"))
    return code


# ----- fuel: public-security letters (GA 24.9) -------------------------------------------------------
_FUEL_ALIASES = {
    "A": ["PETROL", "GASOLINE"],
    "B": ["DIESEL", "柴油机"],
    "C": ["电动", "纯电动", "ELECTRIC", "电力"],
    "E": ["燃气", "CNG", "LNG", "压缩天然气", "液化天然气", "NG", "GAS"],
    "F": ["LPG"],
    "O": ["HYBRID", "油电混合", "插电式混合动力", "混动"],
    "Z": ["OTHER", "氢", "氢燃料"],
}
_FUELS = _index(FUEL_LABELS, _FUEL_ALIASES)
# Fuels that burn: such a vehicle has a real emission stage, never D (electric).
COMBUSTION_FUELS = frozenset("ABDEFLM")


def parse_fuel(value: object) -> str:
    return _lookup(_FUELS, value, "fuel", FUEL_LABELS)


# ----- plate colour: hub.util.plate.PlateColour ------------------------------------------------------
COLOUR_LABELS: dict[str, str] = {c.value: c.label for c in PlateColour if c is not PlateColour.UNKNOWN}
_COLOUR_ALIASES = {
    "blue": ["蓝", "蓝色"],
    "yellow": ["黄", "黄色"],
    "green": ["绿", "绿色", "渐变绿", "渐变绿色"],
    "yellow_green": ["黄绿", "黄绿色", "黄绿双拼", "yellowgreen"],
    "white": ["白", "白色"],
    "black": ["黑", "黑色"],
}
_COLOURS = _index(COLOUR_LABELS, _COLOUR_ALIASES)


def parse_colour(value: object) -> str:
    return _lookup(_COLOURS, value, "colour", COLOUR_LABELS)


# ----- vehicle type: public-security type names (GA 24.4) and GB/T 15089 categories ------------------
def _public_security_types() -> dict[str, str]:
    types: dict[str, str] = {}
    bodies = ("普通", "厢式", "封闭", "罐式", "平板", "集装厢", "自卸", "特殊结构", "仓栅式")
    for digit, weight in (("1", "重型"), ("2", "中型"), ("3", "轻型")):
        for n, body in enumerate(bodies, start=1):
            types[f"H{digit}{n}"] = f"{weight}{body}车" if body == "集装厢" else f"{weight}{body}货车"
    for n, body in enumerate(("普通", "厢式", "封闭", "罐式", "自卸", "特殊结构", "仓栅式"), start=1):
        types[f"H4{n}"] = f"微型{body}货车"
    for n, body in enumerate(("普通", "厢式", "罐式", "自卸", "仓栅式"), start=1):
        types[f"H5{n}"] = f"{body}低速货车"
    for digit, weight in (("1", "重型"), ("2", "中型"), ("3", "轻型")):
        types[f"Q{digit}1"] = f"{weight}半挂牵引车"
        types[f"Q{digit}2"] = f"{weight}全挂牵引车"
    semi = ("普通", "厢式", "罐式", "平板", "集装箱", "自卸", "特殊结构", "仓栅式")
    for n, body in enumerate(semi, start=1):
        types[f"B1{n}"] = f"重型{body}半挂车"
    types |= {
        "Z11": "大型专项作业车",
        "Z21": "中型专项作业车",
        "Z31": "小型专项作业车",
        "Z51": "重型专项作业车",
    }
    types |= {"K11": "大型普通客车", "K21": "中型普通客车", "K31": "小型普通客车", "K33": "轿车"}
    return types


PUBLIC_SECURITY_TYPES = _public_security_types()
GBT15089_CATEGORIES = ("M1", "M2", "M3", "N1", "N2", "N3", "O1", "O2", "O3", "O4")


def vehicle_type_index(extra: Iterable[str] = ()) -> dict[str, str]:
    """Spelling -> stored type: a GA code gives its name; names and GB/T categories stay as they are."""
    index = {_fold(name): name for name in PUBLIC_SECURITY_TYPES.values()}
    index |= {code: name for code, name in PUBLIC_SECURITY_TYPES.items()}
    index |= {c: c for c in GBT15089_CATEGORIES}
    index |= {_fold(name): clean(name) for name in extra}
    return index


def parse_vehicle_type(value: object, index: Mapping[str, str]) -> str:
    text = clean(value)
    found = index.get(_fold(text))
    if found is None:
        raise CodeError(problem("unknown_vehicle_type", value=text))
    return found


def is_heavy(vehicle_type: str | None) -> bool:
    """A heavy vehicle (重型, or GB/T 15089 N3): what the alert-level bans name."""
    return vehicle_type is not None and (vehicle_type.startswith("重型") or vehicle_type == "N3")


# ----- non-road machine type ---------------------------------------------------------------------------
MACHINE_TYPES = (
    "挖掘机", "装载机", "推土机", "叉车", "压路机", "摊铺机", "平地机", "铲运机", "起重机", "正面吊运机",
    "堆高机", "牵引车", "桩工机械", "铣刨机", "破碎机", "发电机组", "空气压缩机", "其他",
)  # fmt: skip


def machine_type_index(extra: Iterable[str] = ()) -> dict[str, str]:
    return {_fold(name): clean(name) for name in (*MACHINE_TYPES, *extra)}


def parse_machine_type(value: object, index: Mapping[str, str]) -> str:
    text = clean(value)
    found = index.get(_fold(text))
    if found is None:
        raise CodeError(problem("unknown_machine_type", value=text, allowed=", ".join(MACHINE_TYPES)))
    return found


# ----- whitelists and yes/no ----------------------------------------------------------------------------
WHITELIST_LABELS = {"safety": "保安全", "livelihood": "保民生"}
_WHITELISTS = _index(WHITELIST_LABELS, {"safety": ["安全生产", "保安全生产"], "livelihood": ["民生"]})
_NO_WHITELIST = frozenset({"", "无", "否", "NONE", "NO", "-"})


def parse_whitelist(value: object) -> str | None:
    if _fold(clean(value)) in _NO_WHITELIST:
        return None
    return _lookup(_WHITELISTS, value, "whitelist", WHITELIST_LABELS)


_TRUE = frozenset({"是", "有", "Y", "YES", "TRUE", "1", "已联网", "联网", "√", "可用", "在用"})
_FALSE = frozenset({"否", "无", "N", "NO", "FALSE", "0", "未联网", "×", "不可用", "停用"})


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _fold(clean(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CodeError(problem("not_yes_no", value=clean(value)))


def bool_label(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")
