"""What the register refuses, as a code and its values beside the sentence every door has always read.

The register answers in one bilingual sentence (中文 then English) for the command line, the REST API and
the logs; a page words the same refusal in its own language from the code and values. Each sentence is
made here from its template, and `identify` reads any such sentence back into its code and values, so a
refusal keeps its code whichever door (a pydantic error, a HubError, an import row) it went through.
Sentences of hub.util (plate, VIN) are listed too, to be read back; they are made there.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

TEMPLATES: dict[str, str] = {
    # code lists (codes.py)
    "unknown_stage": (
        "排放阶段 emission stage不在代码表中 unknown 排放阶段 emission "
        "stage {value!r}; one of: {allowed}"
    ),
    "unknown_fuel": "燃料类型 fuel type不在代码表中 unknown 燃料类型 fuel type {value!r}; one of: {allowed}",
    "unknown_colour": (
        "车牌颜色 plate colour不在代码表中 unknown 车牌颜色 plate "
        "colour {value!r}; one of: {allowed}"
    ),
    "unknown_whitelist": "白名单 whitelist不在代码表中 unknown 白名单 whitelist {value!r}; one of: {allowed}",
    "stage_none_road": (
        "道路车辆必须有排放阶段 a road vehicle has an emission "
        "stage; X (none) is for machinery"
    ),
    "unknown_vehicle_type": (
        "车辆类型不在代码表中 unknown vehicle type {value!r}: use a public-security type name such as "
        "重型半挂牵引车 or 重型自卸货车, its code (Q11, H17), or a GB/T 15089 category (N3); "
        "the plant may add names under vehicles.extra_vehicle_types"
    ),
    "unknown_machine_type": (
        "机械类型不在代码表中 unknown machine type {value!r}; one of {allowed} "
        "(the plant may add names under vehicles.extra_machine_types)"
    ),
    "not_yes_no": "应填“是”或“否” expected yes/no (是/否), got {value!r}",
    # one record's fields (validate.py)
    "unknown_field": "未知字段 unknown field for {vclass}",
    "required": "{header}必填 required",
    "too_long": "{header}过长 too long ({length} characters)",
    "control_start": "{header}以控制字符开头 starts with control character U+{char}; remove it",
    "control_char": (
        "{header}含控制字符 contains control character U+{char} "
        "at position {position}; remove it"
    ),
    "text_too_long": "{header}最多{max}个字符 at most {max} characters",
    "code_too_long": "{header}最多{max}位 at most {max} characters",
    "code_chars": "{header}只能含字母、数字、汉字和 -_/. letters, digits, 汉字, - _ / . only: {value!r}",
    "plate_invalid": "车牌号码无效 invalid plate: {problem}",
    "date_format": (
        "日期格式应为 yyyymmdd 或 yyyy-mm-dd  date expected as yyyymmdd or yyyy-mm-dd, got {value!r}"
    ),
    "no_such_date": "日期不存在 no such date {value!r}",
    "out_of_range": "{header}超出范围 {value} is out of range {low}..{high}",
    "not_number": "{header}应为数字 expected a number, got {value!r}",
    "not_whole": "{header}应为整数 expected a whole number, got {value}",
    "photo_hash": "照片应为 SHA-256 a photo is given by its SHA-256 (64 hex digits), got {value!r}",
    "photo_missing": "照片不存在 no stored photo {sha256}; upload it first",
    "photo_empty": "照片为空 the photo is empty",
    "photo_too_big": "照片过大 the photo has {size} bytes; at most {max}",
    "photo_kind": "照片须为 JPEG/PNG/WebP/PDF  a photo must be JPEG, PNG, WebP or PDF",
    "colour_mismatch": "车牌颜色与号牌不符 plate colour does not fit: {problem}",
    "new_energy_fuel": "新能源号牌车辆燃料应为电/混合动力 a new-energy plate needs fuel C, O or Z",
    "colour_needed": "有车牌时必须填写车牌颜色 a plate needs its colour",
    "network_needed": "国六重型柴油车须填写联网状态 联网状态 is required for 国六 heavy diesel",
    "kerb_over_gross": "整备质量大于总质量 kerb mass {kerb} kg exceeds gross mass {gross} kg",
    "electric_stage": "纯电动车辆排放阶段应为D an electric vehicle's emission stage is D",
    "stage_d_fuel": "排放阶段D为电动，燃料不能是{fuel} stage D (electric) does not burn fuel {fuel}",
    "documents_road": "缺少随车清单或行驶证照片 a document photo is required ({names})",
    "documents_machine": "缺少发动机铭牌照片 a document photo is required ({names})",
    "in_plant_key": "须填写内部管理编号、环保登记编码或车牌 internal number, env code or plate required",
    "machinery_key": "须填写环保登记编码或内部编号 env registration code or internal number required",
    "engine_needed": "{header}必填 required for a machine with a combustion engine",
    # files (tabular.py, transfer.py) and rows (register.py)
    "file_too_large": "文件过大 the file has {size} bytes; at most {max}",
    "xlsx_unreadable": "不是有效的Excel文件 not a readable .xlsx file: {error}",
    "xlsx_parts": "文件结构异常 the workbook has {count} parts; at most {max}",
    "xlsx_inflates": "文件解压后过大 the workbook inflates to {mib} MiB; at most {max} MiB",
    "xlsx_strings": "共享字符串过大 the workbook's shared strings inflate to {mib} MiB; at most {max} MiB",
    "xlsx_ratio": (
        "压缩比异常 {part} inflates {ratio} times (at most {max}): the "
        "file is damaged or built to exhaust memory"
    ),
    "too_many_columns": (
        "列数过多 the sheet declares {count} columns; at most {max}: "
        "delete the empty columns or save it again"
    ),
    "too_many_rows": "行数过多 more than {max} rows; split the file",
    "csv_binary": "不是CSV文本文件 not a CSV text file (binary content)",
    "csv_line_long": (
        "行过长 line {line} has {fields} fields and {chars} characters; "
        "at most {max_fields} fields and {max_chars} characters"
    ),
    "csv_broken": "CSV格式错误 line {line}: {error}",
    "header_twice": "表头重复 two columns ({first} and {second}) both mean {name!r}",
    "no_header": "找不到表头 no header row found: is this a {what} file? Expected columns such as {columns}",
    "ignored_column": "忽略未知列 ignored column {column} {header!r}",
    "missing_columns": "缺少必填列 missing required columns: {columns}",
    "missing_plate_column": "缺少必填列 missing required column: 车牌号码",
    "not_a_record": "不是记录 not a record (field: value object): {value!r}",
    "row_twin": "与第{row}行车牌或编码重复 same plate or code as row {row}",
    "row_split": "车牌和编码分属不同记录 its plate and codes belong to different records: {keys}",
    "tag_taken": "电子标签已属于{key} the RFID tag belongs to {key} already",
    "row_same_record": "与第{row}行是同一记录 the same record as row {row}",
    "row_duplicate": "与第{row}行重复 duplicates row {row}",
    "plate_required": "车牌号码必填 plate required",
    "time_format": "时间格式应为 yyyy-mm-dd HH:MM  time expected, got {value!r}",
    "parse_limits": (
        "文件解析超出内存或时间限制 reading the file needs more than {mib} MiB or {seconds} s; "
        "it is damaged or built to exhaust the hub. Save it again from Excel or split it"
    ),
    "not_in_register": "登记簿中没有 no {vclass} record {key!r} in the register",
    # blacklist and passes (lists.py, schemas.py)
    "valid_until_past": "有效期已过 valid_until is in the past",
    "pass_end": "临时通行证有效期须晚于开始时间和当前时间 valid_until must be after valid_from and now",
    "pass_too_long": "临时通行证最长{days}天 a temporary pass lasts at most {days} days",
    "reason_required": "a reason is required (原因必填)",
    # the emission-list QR code (qr.py)
    "qr_empty": "二维码内容为空 the code is empty",
    "qr_too_long": "二维码内容过长 the code has {length} characters; at most {max}",
    "qr_not_list": (
        "无法识别的随车清单二维码 not an emission-list code: found no VIN (车辆识别代号) and no model "
        "(车辆型号) in {start!r}; expected key:value lines, JSON, a link with "
        "?vin=, or values separated by | or ,"
    ),
    "qr_bad_json": "二维码内容不是有效的JSON the code is not valid JSON",
    "qr_json_object": "二维码JSON应为对象 the code's JSON must be an object",
    "qr_undecodable": "照片无法解码 the photo cannot be decoded",
    "qr_no_code": "照片中未找到二维码 no QR code found in the photo; take it straight and sharp",
    "qr_bad_base64": "照片不是有效的base64 the photo is not valid base64",
    # made by hub.util.vin and hub.util.plate; listed to be read back
    "vin_length": "车辆识别代号应为17位 a VIN has 17 characters, got {length}: {value!r}",
    "vin_chars": "车辆识别代号含非法字符 VIN {value!r} has invalid characters {chars!r}{hint}",
    "vin_check_digit": (
        "车辆识别代号校验位错误 VIN {value!r}: check digit (9th character) is {digit!r}, "
        "expected {expected!r}; a typing error?"
    ),
    "plate_length": "a plate has 7 characters (8 for new-energy vehicles), got {length}: {value!r}",
    "plate_province": "{value!r} must start with a province abbreviation such as 京 or 粤, not {first!r}",
    "plate_letter": "{value!r}: plates do not use the letter {char} (position {position}); 1 or 0?",
    "plate_colour": "{value!r} ({kind} plate) cannot be {colour}; expected {allowed}",
}  # fmt: skip
# A pydantic validator's message comes back behind this.
PYDANTIC_PREFIX = "Value error, "
_FIELD = re.compile(r"\{(\w+)(!r)?\}")


def problem(code: str, **params: Any) -> str:
    """The sentence of `code` with its values (as all doors read it)."""
    return TEMPLATES[code].format(**params)


@cache
def patterns() -> tuple[dict[str, Any], ...]:
    """How to read each sentence back: `{"code", "pattern"}` (a regular expression whose named groups are
    the values; those named `_...` are not), in the order to try.
    The `fields` service hands them to the pages, which word a refusal in their language."""
    out: list[dict[str, Any]] = []
    # The longest fixed text first: `{header}必填 required` must not take a machine's engine sentence.
    for code, template in sorted(TEMPLATES.items(), key=lambda item: -len(_FIELD.sub("", item[1]))):
        parts: list[str] = []
        seen: set[str] = set()
        end = 0
        for found in _FIELD.finditer(template):
            parts.append(re.escape(template[end : found.start()]))
            name = found.group(1)
            if name in seen:
                quote = f"(?P=_q_{name})" if found.group(2) else ""
                parts.append(f"{quote}(?P={name}){quote}")
            elif found.group(2):  # repr() of a str: the text between its quotes (group `_q_<name>`)
                parts.append(f"(?P<_q_{name}>['\"])(?P<{name}>.*?)(?P=_q_{name})")
            else:
                parts.append(f"(?P<{name}>.*?)")
            seen.add(name)
            end = found.end()
        parts.append(re.escape(template[end:]))
        out.append({"code": code, "pattern": "".join(parts)})
    return tuple(out)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def identify(text: str) -> tuple[str, dict[str, str]] | None:
    """(code, values) of a sentence made from TEMPLATES (a pydantic validator's too), else None."""
    text = str(text).removeprefix(PYDANTIC_PREFIX)
    for item in patterns():
        if found := _compiled(item["pattern"]).fullmatch(text):
            return item["code"], {k: v for k, v in found.groupdict().items() if not k.startswith("_")}
    return None


def coded(text: str) -> dict[str, Any]:
    """`{"code", "params"}` of a sentence, for a JSON answer (code None where it is not one of these)."""
    found = identify(text)
    return {"code": found[0], "params": found[1]} if found else {"code": None, "params": {}}
