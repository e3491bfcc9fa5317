"""Configuration: !secret, !include, and errors naming file, line and key; the hub refuses to start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.core import ConfigError, Hub
from tests.conftest import write_config

TRAFFIC_OK = """\
hub:
  name: 测试厂
traffic:
  rate_per_minute: !secret demo_rate
  lanes: !include lanes.yaml
"""


async def test_secret_and_include(make_hub) -> None:
    hub = await make_hub(
        TRAFFIC_OK,
        secrets__yaml="demo_rate: 12\n",
        lanes__yaml="- {gate: east_gate, lane: in, directions: [in]}\n",
    )
    assert "traffic" in hub.loaded
    generator = hub.data["traffic"]
    assert generator.config.rate_per_minute == 12
    assert generator.config.lanes[0].gate == "east_gate"
    assert hub.core_config.name == "测试厂"


@pytest.mark.parametrize(
    ("text", "files", "expected"),
    [
        (
            "hub:\n  name: x\ntraffic:\n  rate_per_minute: fast\n  lanes: [{gate: e, lane: in}]\n",
            {},
            "configuration.yaml:4: traffic.rate_per_minute: Input should be a valid number",
        ),
        (
            "hub:\n  name: x\ntraffic:\n  lanes:\n    - {gate: e, lane: in}\n    - {gate: East, lane: in}\n",
            {},
            "configuration.yaml:6: traffic.lanes[1].gate: String should match pattern",
        ),
        ("hub:\n  colour: red\n", {}, "configuration.yaml:2: hub.colour: Extra inputs are not permitted"),
        ("hub:\n  time_zone: Mars/Olympus\n", {}, "configuration.yaml:2: hub.time_zone: Value error"),
        ("hub:\n  name: [unclosed\n", {}, "configuration.yaml:3: YAML syntax"),
        ("hub:\n  name: !secret nope\n", {}, "configuration.yaml:2: !secret nope: no secrets.yaml"),
        ("hub:\n  name: !secret nope\n", {"secrets__yaml": "x: 1\n"}, "!secret nope: not defined"),
        ("hub:\n  name: a\n  name: b\n", {}, "configuration.yaml:3: key 'name' appears twice"),
        ("hub:\n  {name: a}: b\n", {}, "configuration.yaml:2: a key must be a name, not a mapping or a list"),
        ("hub: {}\nwarp_drive:\n  speed: 9\n", {}, "configuration.yaml:2: warp_drive: no such integration"),
        (
            "traffic: !include lanes.yaml\n",
            {"lanes__yaml": "rate_per_minute: 5\nlanes:\n  - {gate: e, lane: 7}\n"},
            "lanes.yaml:3: traffic.lanes[0].lane: Input should be a valid string",
        ),
    ],
)
async def test_errors_name_file_line_and_key_and_the_hub_refuses_to_start(
    tmp_path, text: str, files: dict[str, str], expected: str
) -> None:
    config_dir = write_config(tmp_path / "cfg", text, **files)
    hub = Hub(config_dir, data_dir=tmp_path / "data")
    with pytest.raises(ConfigError) as err:
        await hub.async_start()
    assert expected in str(err.value)
    assert hub.loaded == [] and hub.states.all() == []
    assert not open_files_under(tmp_path / "data")  # no database left open behind the refusal


def open_files_under(directory: Path) -> list[str]:
    """Files under `directory` this process holds open (as the kernel lists them)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith(f"{directory}{os.sep}"):
            found.append(target)
    return found
