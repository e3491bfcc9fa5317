"""The video clip link of a passage: a lane's NVR URL template, filled with the passage's time ± seconds,
each value URL-encoded; only http, https and rtsp are accepted."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from hub.core import ManualClock
from hub.core.auth import Role
from hub.ui.clips import ClipLink, clip_url
from tests.ui.conftest import add_role_users, signed_in, ui_url

TZ = ZoneInfo("Asia/Shanghai")
NVR = "http://nvr.plant.local/clip?ch=3&start={start}&end={end}&plate={plate}"


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (NVR, True),
        ("https://nvr/clip/{start_ts}-{end_ts}", True),
        ("rtsp://10.0.0.9:554/playback?starttime={start}", True),
        ("javascript:alert(1)//{start}", False),
        ("file:///etc/passwd", False),
        ("ftp://nvr/clip?{start}", False),
        ("http:///clip?{start}", False),  # no host
        ("http://nvr/clip?from={begin}", False),  # unknown placeholder
    ],
)
def test_only_http_https_and_rtsp_templates_with_known_placeholders(url: str, accepted: bool) -> None:
    if accepted:
        assert ClipLink(gate="east_gate", url=url).url == url
    else:
        with pytest.raises(ValidationError):
            ClipLink(gate="east_gate", url=url)


def test_the_link_is_the_passage_time_plus_minus_seconds_with_each_value_encoded() -> None:
    clips = [ClipLink(gate="east_gate", lane="in", url=NVR, seconds=30), ClipLink(gate="west_gate", url=NVR)]
    passage = {"gate": "east_gate", "lane": "in", "plate": "冀B 20&01", "recorded_at": "2026-11-24T00:00:10Z"}
    assert clip_url(clips, passage, TZ) == (
        "http://nvr.plant.local/clip?ch=3&start=2026-11-24T07%3A59%3A40&end=2026-11-24T08%3A00%3A40"
        "&plate=%E5%86%80B%2020%2601"
    )
    assert clip_url(clips, {**passage, "lane": "out"}, TZ) is None  # east_gate/out has no NVR
    assert clip_url(clips, {**passage, "gate": "west_gate", "lane": "out"}, TZ) is not None  # the gate's


async def test_the_passage_page_links_the_clip_where_the_lane_has_one(make_hub) -> None:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    config = (
        "hub: {name: 录像测试}\nledger:\nui:\n  port: 0\n  clips:\n"
        f'    - {{gate: east_gate, lane: in, url: "{NVR}", seconds: 60}}\n'
    )
    hub = await make_hub(config, clock=clock)
    await add_role_users(hub)
    for lane in ("in", "out"):
        body = {"passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": lane, "direction": lane,
                "plate": "冀B20001", "colour": "yellow", "decision": "allow"}  # fmt: skip
        await hub.services.async_call("ledger", "record_passage", body)
    rows = (await hub.services.async_call("ledger", "query", {"plate": "冀B20001"}))["items"]
    base = ui_url(hub)
    session = await signed_in(base, Role.INSPECTOR)
    try:
        for row in rows:
            query = urlencode({"at": row["recorded_at"], "gate": row["gate"], "lane": row["lane"]})
            async with session.get(f"{base}/passages/{row['passage_id']}?{query}") as response:
                html = await response.text()
            if row["lane"] == "in":
                expected = (
                    "start=2026-11-24T07%3A59%3A00&amp;end=2026-11-24T08%3A01%3A00&amp;plate=%E5%86%80B20001"
                )
                assert 'id="clip-link"' in html and expected in html
            else:
                assert "clip-link" not in html
    finally:
        await session.close()
