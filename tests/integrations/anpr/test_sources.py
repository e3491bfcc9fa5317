"""Camera sources other than push: the demo's simulated camera, a folder of uploaded frames, a stream."""

from __future__ import annotations

import random

import pytest

from hub.core.const import EVENT_PLATE_READ
from hub.integrations.traffic.fleet import build_fleet
from tests.common import wait_until
from tests.integrations.anpr.photos import photos_of


async def test_simulated_camera_reads_the_demo_traffic(make_hub) -> None:
    hub = await make_hub(
        """\
        hub: {}
        traffic:
          rate_per_minute: 600
          seed: 7
          lanes: [{gate: east_gate, lane: in, directions: [in]}]
        anpr:
          cameras: [{gate: east_gate, lane: in, direction: in, source: simulator}]
        """
    )
    event = await hub.bus.async_wait_for(EVENT_PLATE_READ, timeout=20)
    fleet = {v.plate: v for v in build_fleet(400, 7)}
    assert event.data["plate"] in fleet
    assert event.data["colour"] == fleet[event.data["plate"]].colour
    assert (event.data["gate"], event.data["lane"], event.data["direction"]) == ("east_gate", "in", "in")
    await hub.async_block_till_done()
    assert hub.states.get("sensor.east_gate_in_plate").attributes["read_id"] == event.data["read_id"]
    assert hub.states.get("binary_sensor.east_gate_in_camera_online").state == "on"


@pytest.fixture(scope="module")
def rendered_plates():
    synthetic = pytest.importorskip("hub.integrations.anpr.synthetic")
    from hub.util.plate import PlateColour

    rng = random.Random(5)
    plates = [("冀B7Q218", PlateColour.YELLOW), ("津A66E21", PlateColour.BLUE)]
    return [(p, synthetic.render_plate_scene(p, c, rng)) for p, c in plates]


async def test_folder_source_reads_uploaded_frames_once_and_files_them(
    make_hub, tmp_path, rendered_plates
) -> None:
    inbox = tmp_path / "ftp" / "east_in"
    inbox.mkdir(parents=True)
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          merge_seconds: 0
          cameras: [{{gate: east_gate, lane: in, direction: in, source: folder, folder: "{inbox}"}}]
        """
    )
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    for n, (_, jpeg) in enumerate(rendered_plates):
        (inbox / f"frame{n}.jpg").write_bytes(jpeg)
    (inbox / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    for _ in rendered_plates:
        await hub.bus.async_wait_for(EVENT_PLATE_READ, timeout=60)
    assert sorted(e.data["plate"] for e in reads) == sorted(p for p, _ in rendered_plates)
    assert all(e.data["source"] == "folder" for e in reads)
    assert all([(await photos_of(hub, e.data))["scene"] for e in reads])
    # The broken file is filed away as failed, not retried forever (no event for that: watch the disk).
    await wait_until(lambda: (inbox / "failed" / "broken.jpg").exists(), timeout=20)
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["frame0.jpg", "frame1.jpg"]


async def test_stream_source_recognises_on_loop_detector(make_hub, tmp_path, rendered_plates) -> None:
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    plate, jpeg = rendered_plates[0]
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    video = tmp_path / "lane.avi"
    size = (frame.shape[1], frame.shape[0])
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for _ in range(600):
        writer.write(frame)
    writer.release()
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          cameras:
            - gate: east_gate
              lane: in
              direction: in
              source: rtsp
              url: "{video}"
              motion_threshold: 0
              trigger_entity: binary_sensor.east_gate_in_loop
        """
    )
    await hub.bus.async_wait_for(
        "state_changed",
        lambda e: (
            e.data["entity_id"] == "binary_sensor.east_gate_in_camera_online"
            and e.data["new_state"].state == "on"
        ),
        timeout=20,
    )
    hub.states.async_set("binary_sensor.east_gate_in_loop", "on")
    event = await hub.bus.async_wait_for(EVENT_PLATE_READ, timeout=60)
    assert event.data["plate"] == plate and event.data["source"] == "stream:loop"
