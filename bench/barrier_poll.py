"""How quickly a barrier lane shows what its PLC does: a command's first movement, and a PLC that is back.

    .venv/bin/python bench/barrier_poll.py [--rounds 20] [--outages 5]

One simulated PLC over real Modbus TCP on loopback, the lane's default poll (`scan_seconds` 0.25 s,
`timeout` 1 s). Printed: from `barrier.open` called (its coil pulsed) to `cover.<lane>_barrier`
showing `opening` (the coordinator polls at once after a command, not at the next interval), and from
a muted PLC answering again to the cover being back (`closed`), as p50 / p95 / max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Hub
from hub.core.const import EVENT_STATE_CHANGED

CONFIG = """\
hub: {}
barrier:
  lanes:
    - gate: east_gate
      lane: in
      port: 0
      registers: {pulse_seconds: 0.1}
      simulator: {travel_seconds: 0.3}
"""
COVER = "cover.east_gate_in_barrier"


async def wait_state(hub: Hub, entity_id: str, wanted: str, timeout: float = 10.0) -> None:
    if (state := hub.states.get(entity_id)) is not None and state.state == wanted:
        return
    await hub.bus.async_wait_for(
        EVENT_STATE_CHANGED,
        lambda e: e.data["entity_id"] == entity_id and getattr(e.data["new_state"], "state", None) == wanted,
        timeout,
    )


def figures(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    p50 = statistics.median(ms)
    print(f"{name:<34} n={len(ms):<3} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms")


async def main(rounds: int, outages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
        hub = Hub(tmp)
        await hub.async_start()
        try:
            plc = hub.data["barrier"].simulators["east_gate_in"]
            await wait_state(hub, COVER, "closed")
            lane = {"gate": "east_gate", "lane": "in"}
            moving: list[float] = []
            for _ in range(rounds):
                opening = asyncio.ensure_future(wait_state(hub, COVER, "opening"))
                start = time.perf_counter()
                await hub.services.async_call("barrier", "open", lane)
                await opening
                moving.append(time.perf_counter() - start)
                await wait_state(hub, COVER, "open")
                await hub.services.async_call("barrier", "close", lane)
                await wait_state(hub, COVER, "closed")
            back: list[float] = []
            for _ in range(outages):
                plc.set_answering(False)
                await wait_state(hub, COVER, "unavailable")
                await asyncio.sleep(1.5)  # a few failed polls: the outage is well under way
                plc.set_answering(True)
                start = time.perf_counter()
                await wait_state(hub, COVER, "closed")
                back.append(time.perf_counter() - start)
        finally:
            await hub.async_stop()
    figures("barrier.open -> cover opening", moving)
    figures("PLC answering -> cover closed", back)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--outages", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.outages))
