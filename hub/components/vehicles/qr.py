"""The emission-list QR code (随车清单二维码): its text in the shapes found in the field, read into fields.

The 随车清单 (environmental information list, published by the maker under the MEE/MIIT disclosure rules)
carries a QR code whose content is not fixed by one standard. Three shapes are in use, and a fourth for
codes that are only a link:
- key:value text, one field a line or separated by `;`/`；`/`|`, keys in Chinese (车辆识别代号: ...)
  or as pinyin initials (clsbdh=...);
- a JSON object with the same keys;
- a URL whose query string carries them (the disclosure website's link, `?vin=...&pfjd=...`);
- delimited values without keys (`|`, `,`, tab or `;`), read by what each value looks like: the VIN by
  its 17 characters, the stage by the code list, the maker by 公司/厂/集团, then model and engine in order.
The officer confirms what was read before it is saved; nothing here writes to the register.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hub.core import Hub, ServiceValidationError
from hub.util.vin import VIN_CHARS, VIN_LENGTH, normalise_vin, validate_vin

from .codes import CodeError, clean, parse_fuel, parse_stage
from .const import DOMAIN
from .fields import VehicleClass
from .problems import problem

# What each field is called: Chinese labels of the list, pinyin initials and English names.
_KEYS: dict[str, tuple[str, ...]] = {
    "vin": ("车辆识别代号", "车辆识别号", "车架号", "vin", "clsbdh", "vehicle_identification_number"),
    "model": ("车辆型号", "车型", "产品型号", "型号", "clxh", "model", "vehicle_model"),
    "engine_model": ("发动机型号", "fdjxh", "engine_model", "engine"),
    "engine_no": ("发动机编号", "发动机号码", "发动机号", "fdjbh", "fdjh", "engine_no", "engine_number"),
    "emission_stage": ("排放阶段", "排放标准", "pfjd", "pfbz", "emission_stage", "stage"),
    "maker": (
        "生产企业",
        "制造企业",
        "生产厂家",
        "制造商",
        "企业名称",
        "scqy",
        "zzqy",
        "maker",
        "manufacturer",
    ),
    "fuel": ("燃料类型", "燃料种类", "rllx", "fuel"),
    "disclosure_no": ("信息公开编号", "xxgkbh", "disclosure_no", "info_no"),
    "brand": ("品牌", "商标", "clpp", "brand"),
}
_KEY_INDEX = {key.lower(): name for name, keys in _KEYS.items() for key in keys}
_PAIR = re.compile(r"^\s*([^:=：]{1,24}?)\s*[:=：]\s*(.*?)\s*$")
_SEPARATORS = re.compile(r"[\r\n;；|]+")
_MAKER_WORDS = ("公司", "厂", "集团", "有限", "CO.", "LTD")
MAX_TEXT = 4096


class NotAnEmissionList(ValueError):
    """The code cannot be read as an emission list; the message says what was expected."""


def parse_emission_qr(text: str) -> dict[str, Any]:
    """The list's fields (vin, model, engine_model, engine_no, emission_stage, maker, fuel, ...) with
    `format` (kv, json, url, delimited) and `warnings` for values that were read but are not valid."""
    text = unicodedata.normalize("NFKC", text or "").strip().lstrip("\ufeff")
    if not text:
        raise NotAnEmissionList(problem("qr_empty"))
    if len(text) > MAX_TEXT:
        raise NotAnEmissionList(problem("qr_too_long", length=len(text), max=MAX_TEXT))
    raw, fmt = _raw_fields(text)
    if not raw.get("vin") and not raw.get("model"):
        raise NotAnEmissionList(problem("qr_not_list", start=text[:60]))
    return _checked(raw, fmt)


def _raw_fields(text: str) -> tuple[dict[str, str], str]:
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            raise NotAnEmissionList(problem("qr_bad_json")) from None
        if not isinstance(body, dict):
            raise NotAnEmissionList(problem("qr_json_object"))
        return _named(body.items()), "json"
    if re.match(r"^https?://", text, re.IGNORECASE):
        return _named(parse_qsl(urlsplit(text).query)), "url"
    pairs = [m.groups() for part in _SEPARATORS.split(text) if (m := _PAIR.match(part))]
    named = _named(pairs)
    if named:
        return named, "kv"
    return _positional(text), "delimited"


def _named(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        name = _KEY_INDEX.get(clean(key).lower().replace(" ", ""))
        if name and value not in (None, "") and name not in out:
            out[name] = clean(value)
    return out


def _positional(text: str) -> dict[str, str]:
    separator = next((s for s in ("|", "\t", ",", "，", ";", "；") if s in text), None)
    if separator is None:
        return {}
    values = [clean(v) for v in text.split(separator) if clean(v)]
    out: dict[str, str] = {}
    rest: list[str] = []
    for value in values:
        if "vin" not in out and _looks_like_vin(value):
            out["vin"] = value
        elif "emission_stage" not in out and _is_stage(value):
            out["emission_stage"] = value
        elif "maker" not in out and any(w in value.upper() for w in _MAKER_WORDS):
            out["maker"] = value
        else:
            rest.append(value)
    if "vin" not in out:
        return {}  # without a VIN there is no telling which value is what
    for name, value in zip(("model", "engine_model"), rest, strict=False):
        out[name] = value
    return out


def _looks_like_vin(value: str) -> bool:
    vin = normalise_vin(value)
    return len(vin) == VIN_LENGTH and set(vin) <= VIN_CHARS


def _is_stage(value: str) -> bool:
    try:
        parse_stage(value, allow_none=True)
    except CodeError:
        return False
    return True


def _checked(raw: dict[str, str], fmt: str) -> dict[str, Any]:
    out: dict[str, Any] = {name: raw.get(name) for name in _KEYS}
    warnings: list[str] = []
    if raw.get("vin"):
        out["vin"] = normalise_vin(raw["vin"])
        problem = validate_vin(out["vin"])
        if problem:
            warnings.append(problem)
    for name, parse in (("emission_stage", _stage), ("fuel", parse_fuel)):
        if raw.get(name):
            try:
                out[name] = parse(raw[name])
            except CodeError as err:
                out[name] = None
                warnings.append(str(err))
    out["emission_stage_text"] = raw.get("emission_stage")
    out["format"] = fmt
    out["warnings"] = warnings
    return out


_STAGE_IN_TEXT = re.compile(r"国\s*(VI|IV|V|III|II|I|[0-6一二三四五六])\s*([AB])?", re.IGNORECASE)


def _stage(value: str) -> str:
    """A stage code; a longer text such as `国六b (GB 17691-2018)` is read by its 国 part."""
    try:
        return parse_stage(value, allow_none=False)
    except CodeError:
        found = _STAGE_IN_TEXT.search(value)
        if found is None:
            raise
        return parse_stage(f"国{found.group(1).upper()}", allow_none=False)


def read_qr_photo(data: bytes) -> str:
    """The text of the QR code in a photo (blocking: run it in the executor); NotAnEmissionList if none.

    OpenCV's own detector (the WeChat model of opencv-contrib is not in the installed wheel); a photo is
    also tried at half size, since a phone's 12-megapixel picture of a small code often fails at full size.
    """
    import cv2
    import numpy as np

    from hub.util.images import NotAPhoto, check_photo

    try:
        check_photo("the photo", data)
    except NotAPhoto as err:
        raise NotAnEmissionList(str(err)) from None
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise NotAnEmissionList(problem("qr_undecodable"))
    for candidate in (image, cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)):
        for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
            text, _, _ = detector.detectAndDecode(candidate)
            if text:
                return str(text)
    raise NotAnEmissionList(problem("qr_no_code"))


# What the list's fields fill in the register's form of each class (the officer checks, then saves).
FORM_FIELDS: dict[VehicleClass, dict[str, str]] = {
    VehicleClass.TRANSPORT: {
        "vin": "vin", "model": "brand_model", "engine_no": "engine_no", "emission_stage": "emission_stage",
        "fuel": "fuel",
    },
    VehicleClass.MACHINERY: {
        "vin": "pin", "model": "machine_model", "engine_model": "engine_model", "engine_no": "engine_no",
        "emission_stage": "emission_stage", "fuel": "fuel",
    },
}  # fmt: skip
FORM_FIELDS[VehicleClass.IN_PLANT] = FORM_FIELDS[VehicleClass.TRANSPORT]


def form_record(vclass: VehicleClass, fields: dict[str, Any]) -> dict[str, str]:
    """The register fields of `vclass` the list fills; 品牌型号 is the brand and the model together."""
    out = {
        target: str(fields[source]) for source, target in FORM_FIELDS[vclass].items() if fields.get(source)
    }
    if "brand_model" in out and fields.get("brand") and not out["brand_model"].startswith(fields["brand"]):
        out["brand_model"] = f"{fields['brand']}{out['brand_model']}"
    return out


async def async_parse_emission_qr(
    hub: Hub, text: str | None, photo: str | None, vclass: VehicleClass | None = None
) -> dict[str, Any]:
    """The service's work: a photo is decoded in the executor; unreadable codes are a validation error
    naming the field, so the form shows the reason under the scan box."""
    field = "text" if text is not None else "photo"
    try:
        if photo is not None:
            data = _photo_bytes(photo)
            text = await hub.async_add_executor_job(read_qr_photo, data)
        fields = parse_emission_qr(text or "")
    except NotAnEmissionList as err:
        raise ServiceValidationError(DOMAIN, "parse_emission_qr", [(field, str(err))]) from None
    fields["text"] = text
    if vclass is not None:
        fields["record"] = form_record(vclass, fields)
    return fields


def _photo_bytes(photo: str) -> bytes:
    body = photo.split(",", 1)[1] if photo.startswith("data:") else photo
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise NotAnEmissionList(problem("qr_bad_base64")) from None
