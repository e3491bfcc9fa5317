"""The demo plant as a person starts it: `ecogate demo` brings up the plant and passages appear."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

from hub.demo import GENERATED_MARK, prepare_demo, render_configuration
from tests.conftest import REPO


def test_importing_hub_loads_nothing_heavy() -> None:
    heavy = ("cv2", "asyncua", "onnxruntime", "pymodbus", "tortoise", "numpy")
    code = f"import sys, hub, hub.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_demo_writes_its_configuration_and_keeps_a_hand_edited_one(tmp_path) -> None:
    path = prepare_demo(tmp_path, rate_per_minute=30, seed=1) / "configuration.yaml"
    assert path.read_text(encoding="utf-8").startswith(GENERATED_MARK)
    assert "rate_per_minute: 30" in path.read_text(encoding="utf-8")
    edited = path.read_text(encoding="utf-8").split("\n", 1)[1]  # the mark removed: a person's file now
    path.write_text(edited, encoding="utf-8")
    prepare_demo(tmp_path, rate_per_minute=60, seed=1)
    assert path.read_text(encoding="utf-8") == edited


async def test_demo_runs_shows_passages_and_stops_on_ctrl_c(tmp_path) -> None:
    # The demo plant as generated, on free ports (a demo may already run on this machine).
    config_dir = tmp_path / "demo"
    config_dir.mkdir()
    text = render_configuration(300, 3).split("\n", 1)[1]
    for fixed in ("port: 8420", "port: 4840"):
        assert fixed in text
        text = text.replace(fixed, "port: 0")
    (config_dir / "configuration.yaml").write_text(text, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "demo", "-c", str(config_dir),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: list[str] = []
    log = bytearray()

    async def keep_log() -> None:  # an undrained pipe would block the demo's logging, and its exit
        while chunk := await proc.stderr.read(65536):
            log.extend(chunk)

    def tag_passages() -> list[str]:  # the machinery lane has no camera: its passages come from tags
        return [x for x in lines if "north_gate/machinery" in x and "记录 passage" in x]

    logging = asyncio.create_task(keep_log())
    try:
        async with asyncio.timeout(90):
            # Reads, and decisions on them: an allowed one shows the fleet was registered on start.
            while (
                sum("识别 read" in line for line in lines) < 3
                or not any("放行 ALLOW" in x for x in lines)
                or not tag_passages()
            ):
                line = (await proc.stdout.readline()).decode()
                assert line, "demo ended early: " + log.decode(errors="replace")[-2000:]
                lines.append(line)
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0, log.decode(errors="replace")[-2000:]
    finally:
        if proc.returncode is None:
            proc.kill()
        await logging
    text = "".join(lines)
    assert "guard / ecogate-guard" in text
    assert "Web HMI" in text and "opc.tcp://127.0.0.1:" in text
    assert any("记录 passage #" in line for line in lines)
    # An in-plant vehicle or a machine known by its tag alone: recorded under its register entry's plate
    # or code (蒙FA20PS, DEMO00042), not as an unknown vehicle.
    for line in tag_passages():
        named = re.search(r"记录 passage #\d+ (\S+)", line)
        assert named and named.group(1) not in ("allow", "deny", "review"), line
