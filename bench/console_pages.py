"""The console's purpose-made pages (quality, devices, uplink, vehicle, the reports' compliance tabs,
passage export) on the 1.5-million-passage ledger of bench/reports.py.

    .venv/bin/python bench/console_pages.py [--dir /tmp/ecogate-bench-reports] [--loads 3]

Like bench/hmi_pages.py (whose ledger and clock it shares), a signed-in administrator loads each page
--loads times; prints the median and the slowest load (goal: under 1 s). The data-quality rules are
run once over the day first, so its page lists that day's findings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reports import TZ, generate_once
from hub.core import Hub, ManualClock
from hub.core.auth import Role

PAGES = (
    "/quality", "/quality?status=all", "/devices", "/uplink", "/vehicle/%E5%86%80A00001",
    "/reports?report=statistics", "/reports?report=statistics&period=week",
    "/reports?report=statistics&period=month", "/reports?report=clean", "/reports?report=carriers",
    "/reports?report=alerts", "/reports?report=files",
    "/passages/export?plate=%E5%86%80A00001&format=csv",
)  # fmt: skip
PASSWORD = "bench-officer-2026"
CONFIG = (
    "hub: {name: 基准测试钢厂}\nledger:\nvehicles:\nreports:\n  schedule_enabled: false\n"
    "quality: {check_seconds: 3600}\nui: {port: 0}\n"
)


async def main(args: argparse.Namespace) -> None:
    data_dir = await generate_once(Path(args.dir), args.passages)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
        hub = Hub(Path(tmp), data_dir=data_dir, clock=ManualClock(datetime(2025, 11, 20, 15, 0, tzinfo=TZ)))
        await hub.async_start()
        try:
            if hub.auth.by_name("bench_admin") is None:
                await hub.auth.async_add_user("bench_admin", PASSWORD, frozenset({Role.ADMIN}))
            started = time.perf_counter()
            await hub.services.async_call("quality", "run", {"date": "2025-11-19"})
            print(f"quality run over a day: {(time.perf_counter() - started) * 1000:.0f} ms")
            base = hub.data["ui"].url
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, headers={"Origin": base}) as http:
                form = {"username": "bench_admin", "password": PASSWORD}
                async with http.post(f"{base}/login", data=form) as response:
                    assert response.status == 200, await response.text()
                print(f"{'page':<52} {'median':>8} {'slowest':>8}  (goal < 1 s)")
                for path in PAGES:
                    times = []
                    for _ in range(args.loads):
                        started = time.perf_counter()
                        async with http.get(base + path) as response:
                            await response.read()
                            assert response.status == 200, (path, response.status)
                        times.append(time.perf_counter() - started)
                    print(f"{path:<52} {statistics.median(times) * 1000:6.0f} ms {max(times) * 1000:6.0f} ms")
        finally:
            await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_500_000)
    parser.add_argument("--dir", default="/tmp/ecogate-bench-reports")
    parser.add_argument("--loads", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
