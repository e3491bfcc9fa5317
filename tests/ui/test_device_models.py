"""设备状态 (/devices): a device's model as the integrations write it ("simulated ANPR camera") is worded
in the page's language; a model the plant configured (its real camera's, its indicator's) stays as
written, and so does a device's last error (the device's own technical text)."""

from __future__ import annotations

import re
from html import unescape

import aiohttp

from hub.core.auth import Role
from hub.ui.devices import DeviceView
from hub.ui.i18n import Catalogues
from tests.common import wait_state
from tests.ui.conftest import add_role_users, signed_in, ui_url

TIMEOUT = aiohttp.ClientTimeout(total=30)
CJK = re.compile(r"[\u4e00-\u9fff]")
# The model key and values an integration gives its DeviceInfo (none: as the plant wrote it), the model as
# written, in Chinese, in English
MODELS = [
    ("anpr_simulated", {}, "simulated ANPR camera", "模拟车牌识别摄像机", "simulated ANPR camera"),
    ("anpr", {"source": "rtsp"}, "ANPR camera (rtsp)", "车牌识别摄像机（rtsp）", "ANPR camera (rtsp)"),
    ("barrier_simulated", {}, "simulated barrier PLC", "模拟道闸控制器（PLC）", "simulated barrier PLC"),
    ("barrier", {}, "barrier PLC (Modbus TCP)", "道闸控制器（PLC，Modbus TCP）", "barrier PLC (Modbus TCP)"),
    ("rfid_simulated", {}, "simulated UHF reader", "模拟超高频读写器", "simulated UHF reader"),
    ("rfid", {"protocol": "frame"}, "UHF reader (frame protocol)", "超高频读写器（frame 协议）",
     "UHF reader (frame protocol)"),
    ("weighbridge_simulated", {"indicator": "耀华 XK3190-A9"}, "simulated 耀华 XK3190-A9",
     "模拟称重仪表 耀华 XK3190-A9", "simulated 耀华 XK3190-A9"),
    ("microstation_simulated", {}, "simulated microstation", "模拟空气质量微站", "simulated microstation"),
    ("microstation", {"source": "hj212"}, "microstation (hj212)", "空气质量微站（hj212）",
     "microstation (hj212)"),
    ("remote_sensing_simulated", {}, "simulated remote-sensing unit", "模拟尾气遥感设备",
     "simulated remote-sensing unit"),
    ("remote_sensing", {}, "remote-sensing unit", "尾气遥感设备", "remote-sensing unit"),
    ("mqtt_broker", {}, "MQTT broker", "MQTT 消息服务器", "MQTT broker"),
    ("mqtt_device", {}, "MQTT device", "MQTT 设备", "MQTT device"),
    ("mqtt_topic", {}, "MQTT topic", "MQTT 主题", "MQTT topic"),
    ("opcua_server", {}, "OPC UA server", "OPC UA 服务器", "OPC UA server"),
    ("uplink_profile", {"profile": "tcp_json", "transport": "tcp"}, "profile tcp_json (tcp)",
     "报文格式 tcp_json（tcp）", "profile tcp_json (tcp)"),
    # As the plant wrote them: a real indicator, a camera's own model, a Modbus address, an MQTT device's.
    (None, {}, "耀华 XK3190-A9", "耀华 XK3190-A9", "耀华 XK3190-A9"),
    (None, {}, "Hikvision iDS-TCM203-A", "Hikvision iDS-TCM203-A", "Hikvision iDS-TCM203-A"),
    (None, {}, "Modbus tcp 10.0.0.5:502", "Modbus tcp 10.0.0.5:502", "Modbus tcp 10.0.0.5:502"),
    (None, {}, "simulated wash bay", "simulated wash bay", "simulated wash bay"),
]  # fmt: skip


def test_every_model_the_integrations_write_reads_in_the_page_language() -> None:
    catalogues = Catalogues("zh-CN")
    zh, en = catalogues.translator("zh-CN"), catalogues.translator("en")
    for key, values, model, chinese, english in MODELS:
        view = DeviceView("x:x", "x", "x", model, key, values)
        assert (view.model_label(zh), view.model_label(en)) == (chinese, english)


CONFIG = """\
hub: {name: 设备型号}
anpr:
  push: {host: 127.0.0.1, port: 0}
  cameras:
    - {gate: east_gate, lane: in, direction: in, source: simulator, name: 东门入口车牌相机}
    - {gate: west_gate, lane: main, direction: both, source: push, name: 西门车牌相机,
       token: west-camera-secret-0001}
barrier:
  lanes:
    - {gate: east, lane: in, port: 0, scan_seconds: 0.05, timeout: 0.3,
       registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}
rfid:
  readers:
    - {name: yard_rfid, simulator: true}
ui: {port: 0}
"""


def models_of(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-device="([^"]+)">.*?<div class="small-text muted">(.*?)</div>', html, re.S)
    return {device: unescape(model) for device, model in rows}


async def test_the_devices_page_words_the_simulated_models_per_language(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    base = ui_url(hub)
    engineer = await signed_in(base, Role.ENGINEER)
    try:
        async with engineer.get(f"{base}/devices", params={"lang": "zh-CN"}, timeout=TIMEOUT) as response:
            zh = models_of(await response.text())
        async with engineer.get(f"{base}/devices", params={"lang": "en"}, timeout=TIMEOUT) as response:
            en = models_of(await response.text())
    finally:
        await engineer.close()
    assert zh == {
        "anpr:east_gate_in": "模拟车牌识别摄像机",
        "anpr:west_gate_main": "车牌识别摄像机（push）",
        "barrier:east_in": "模拟道闸控制器（PLC）",
        "rfid:yard_rfid": "模拟超高频读写器",
    }, zh
    assert en == {
        "anpr:east_gate_in": "simulated ANPR camera",
        "anpr:west_gate_main": "ANPR camera (push)",
        "barrier:east_in": "simulated barrier PLC",
        "rfid:yard_rfid": "simulated UHF reader",
    }, en
    assert not any(CJK.search(model) for model in en.values())
