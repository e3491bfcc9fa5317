"""The emission-list QR code: each known shape read into fields, photos decoded, bad codes explained."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.components.vehicles.qr import NotAnEmissionList, parse_emission_qr
from hub.core import ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.components.vehicles.conftest import call, user_context, vin

VIN = vin(7)
EXPECTED = {
    "vin": VIN,
    "model": "CA4250P66K24T1E6",
    "engine_model": "CA6DM3-42E6",
    "emission_stage": "6",
    "maker": "一汽解放汽车有限公司",
}
PAYLOADS = {
    "kv": (
        f"车辆识别代号:{VIN}\n车辆型号:CA4250P66K24T1E6\n发动机型号：CA6DM3-42E6\n"
        "排放阶段:国六b\n生产企业:一汽解放汽车有限公司\n燃料类型:柴油"
    ),
    "kv_pinyin_one_line": (
        f"xxgkbh=CN KM G6 00 0000123456 000001;clsbdh={VIN};clxh=CA4250P66K24T1E6;fdjxh=CA6DM3-42E6;"
        "pfjd=国Ⅵ;scqy=一汽解放汽车有限公司"
    ),
    "json": json.dumps(
        {
            "vin": VIN.lower(),
            "clxh": "CA4250P66K24T1E6",
            "fdjxh": "CA6DM3-42E6",
            "pfjd": "GB17691-2018 国六",
            "zzqy": "一汽解放汽车有限公司",
        },
        ensure_ascii=False,
    ),
    "url": (
        f"https://www.vecc.org.cn/info?clsbdh={VIN}&clxh=CA4250P66K24T1E6&fdjxh=CA6DM3-42E6"
        "&pfjd=%E5%9B%BD%E5%85%AD&scqy=%E4%B8%80%E6%B1%BD%E8%A7%A3%E6%94%BE%E6%B1%BD%E8%BD%A6%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8"
    ),
    "delimited": f"{VIN}|CA4250P66K24T1E6|CA6DM3-42E6|国六|一汽解放汽车有限公司",
    "delimited_comma": f"一汽解放汽车有限公司,{VIN},国VI,CA4250P66K24T1E6,CA6DM3-42E6",
}


@pytest.mark.parametrize("shape", sorted(PAYLOADS))
def test_each_known_shape_fills_the_fields(shape: str) -> None:
    fields = parse_emission_qr(PAYLOADS[shape])
    assert {name: fields[name] for name in EXPECTED} == EXPECTED, fields
    assert fields["warnings"] == []
    assert fields["format"] == shape.split("_")[0]


def test_the_fuel_and_the_disclosure_number_come_along_when_given() -> None:
    assert parse_emission_qr(PAYLOADS["kv"])["fuel"] == "B"
    assert parse_emission_qr(PAYLOADS["kv_pinyin_one_line"])["disclosure_no"].startswith("CN KM G6")


def test_a_bad_vin_or_stage_is_read_but_flagged() -> None:
    wrong = VIN[:8] + ("0" if VIN[8] != "0" else "1") + VIN[9:]
    fields = parse_emission_qr(f"车辆识别代号:{wrong}\n车辆型号:X1\n排放阶段:欧五")
    assert fields["vin"] == wrong and fields["emission_stage"] is None
    assert any("校验位" in w for w in fields["warnings"]) and any("排放阶段" in w for w in fields["warnings"])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "为空"),
        ("https://weixin.qq.com/r/abcdef", "not an emission-list code"),
        ("hello world", "not an emission-list code"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not an emission-list code"),
        ("a|b|c", "not an emission-list code"),
        ("x" * 5000, "at most 4096"),
    ],
)
def test_an_unparseable_code_gets_a_clear_message(text: str, reason: str) -> None:
    with pytest.raises(NotAnEmissionList, match=reason):
        parse_emission_qr(text)


def qr_photo(text: str) -> bytes:
    import cv2

    code = cv2.QRCodeEncoder.create().encode(text)
    code = cv2.resize(code, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    code = cv2.copyMakeBorder(code, 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=255)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(code, cv2.COLOR_GRAY2BGR))
    assert ok
    return jpeg.tobytes()


async def test_the_service_reads_a_scanned_text_and_a_photo_for_the_officer(vehicles_hub) -> None:
    hub = await vehicles_hub()
    officer = await user_context(hub, Role.OFFICER)
    typed = await call(hub, "parse_emission_qr", {"text": PAYLOADS["kv"] + "\r\n"}, officer)
    assert {name: typed[name] for name in EXPECTED} == EXPECTED
    photo = "data:image/jpeg;base64," + base64.b64encode(qr_photo(PAYLOADS["json"])).decode()
    seen = await call(hub, "parse_emission_qr", {"photo": photo}, officer)
    assert {name: seen[name] for name in EXPECTED} == EXPECTED and seen["format"] == "json"
    with pytest.raises(ServiceValidationError, match="no QR code found"):
        blank = base64.b64encode(_blank_jpeg()).decode()
        await call(hub, "parse_emission_qr", {"photo": blank}, officer)
    with pytest.raises(ServiceValidationError, match=r"text: .*not an emission-list code"):
        await call(hub, "parse_emission_qr", {"text": "hello"}, officer)
    guard = await user_context(hub, Role.GUARD)
    with pytest.raises(Unauthorized):
        await call(hub, "parse_emission_qr", {"text": PAYLOADS["kv"]}, guard)


def _blank_jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, jpeg = cv2.imencode(".jpg", np.full((200, 300, 3), 255, dtype=np.uint8))
    assert ok
    return jpeg.tobytes()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from([*PAYLOADS.values(), "{", "}", ":", "|", "=", "&", "?", "\n", "国六"])).map(
            "".join
        ),
        st.integers(min_value=1, max_value=900).map(lambda n: '{"a":' * n + "1" + "}" * n),
    )
)
def test_any_text_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        fields = parse_emission_qr(text)
    except NotAnEmissionList as err:
        assert str(err)
    else:
        assert fields["vin"] or fields["model"]
