"""Every console page and widget on a ledger of 1.5 million passages (24 months of a 1,000-truck plant).

    .venv/bin/python bench/hmi_pages.py [--passages 1500000] [--dir /tmp/ecogate-bench-reports] [--loads 5]
                                        [--day 2025-11-20]

The ledger is the one bench/reports.py generates (made here if missing, kept in --dir). A hub with the
web console runs on it; a signed-in officer loads each page and API answer --loads times. Prints the
median and the slowest load of each (goal: every page and widget under 1 s), the time the hub's start
work takes (the reports keep the closed days of this month and the last in memory: the month tabs are
measured after it), and the time the big screen takes to refresh its figures after a passage. The hub's
clock stands at 15:00 on --day, inside the generated two years, so that today and the month have their
traffic; on the default day, unlike at a plant, the rest of the month has its traffic too (the ledger
goes on for another year), which the month tabs read from the ledger as they read today. On the ledger's
last day (--day 2026-12-18, its last passage at 13:43) nothing comes after the clock, as at a plant.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reports import TZ, generate_once
from hub.core import Hub, ManualClock
from hub.core.auth import Role
from hub.ui.screen import MONTH_EVERY

PAGES = (
    "/lanes", "/screen", "/api/screen", "/widgets/counters", "/api/lanes", "/api/review",
    # A whole plate (one truck's 1,500 passages), a plate no truck has, part of a plate (read row by row).
    "/passages", "/passages?plate=%E5%86%80F00611", "/passages?plate=%E5%86%80A00001",
    "/passages?plate=00012",
    "/reports", "/alert", "/audit", "/uplink", "/vehicles", "/users", "/automations",
    # The purpose-made pages: quality, devices, a vehicle, the reports' compliance tabs, an export.
    "/quality", "/quality?status=all", "/devices", "/vehicle/%E5%86%80F00611",
    "/reports?report=statistics", "/reports?report=statistics&period=week",
    "/reports?report=statistics&period=month", "/reports?report=clean", "/reports?report=carriers",
    # The month before (a day of it), a custom range over two month ends: see `pages`.
    "/reports?report=statistics&period=month&date={last_month}", "/reports?report=carriers&date={last_month}",
    "/reports?report=clean&period=custom&start={range_start}&end={range_end}",
    "/reports?report=alerts", "/reports?report=files",
    "/passages/export?plate=%E5%86%80F00611&format=csv",
)  # fmt: skip
PASSWORD = "bench-officer-2026"
CONFIG = (
    "hub: {name: 基准测试钢厂}\nledger:\nvehicles:\nreports:\n  schedule_enabled: false\n"
    "quality: {check_seconds: 3600}\nautomation: []\nui: {port: 0}\n"
)


def pages(day: date) -> list[str]:
    first = day.replace(day=1)
    last_month = (first - timedelta(days=1)).replace(day=5)
    range_start = (last_month - timedelta(days=31)).replace(day=25)
    dates = {"last_month": last_month, "range_start": range_start, "range_end": first.replace(day=5)}
    return [path.format(**dates) for path in PAGES]


async def main(args: argparse.Namespace) -> None:
    data_dir = await generate_once(Path(args.dir), args.passages)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp)
        (config / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
        # A day inside the generated two years, in the afternoon: the figures have a month behind them.
        clock = ManualClock(datetime(args.day.year, args.day.month, args.day.day, 15, tzinfo=TZ))
        hub = Hub(config, data_dir=data_dir, clock=clock)
        started = time.perf_counter()
        await hub.async_start()
        try:
            await hub.async_block_till_done(timeout=600)
            print(f"hub start and its start work: {(time.perf_counter() - started) * 1000:.0f} ms")
            if hub.auth.by_name("bench_admin") is None:
                await hub.auth.async_add_user("bench_admin", PASSWORD, frozenset({Role.ADMIN}))
            started = time.perf_counter()
            yesterday = (args.day - timedelta(days=1)).isoformat()
            await hub.services.async_call("quality", "run", {"date": yesterday})  # findings to list
            print(f"quality run over a day: {(time.perf_counter() - started) * 1000:.0f} ms")
            screen = hub.data["ui"].screen
            clock.advance(MONTH_EVERY)  # the month's earlier days are due again (the start asked them)
            for what in ("today + the month's earlier days (every 10 min)", "today (after each passage)"):
                started = time.perf_counter()
                await screen.async_refresh()
                print(f"big screen refresh, {what}: {(time.perf_counter() - started) * 1000:.0f} ms")
            base = hub.data["ui"].url
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, headers={"Origin": base}) as http:
                form = {"username": "bench_admin", "password": PASSWORD}
                async with http.post(f"{base}/login", data=form) as response:
                    assert response.status == 200, await response.text()
                # CPU: the process's (hub and client), the steadier figure on a shared machine.
                print(f"{'page':<52} {'median':>8} {'slowest':>8} {'CPU':>8}  (goal < 1 s)")
                for path in pages(args.day):
                    times, cpu = [], []
                    for _ in range(args.loads):
                        started, used = time.perf_counter(), time.process_time()
                        async with http.get(base + path) as response:
                            await response.read()
                            assert response.status == 200, (path, response.status)
                        times.append(time.perf_counter() - started)
                        cpu.append(time.process_time() - used)
                    print(
                        f"{path:<52} {statistics.median(times) * 1000:6.0f} ms {max(times) * 1000:6.0f} ms "
                        f"{statistics.median(cpu) * 1000:6.0f} ms"
                    )
        finally:
            await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_500_000)
    parser.add_argument("--dir", default="/tmp/ecogate-bench-reports")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2025, 11, 20))
    asyncio.run(main(parser.parse_args()))
