"""Time of a refused sign-in over HTTP for a known name and for an unknown one (mean, p50, p95).

    .venv/bin/python bench/login_timing.py [--attempts 40]

A hub with the web UI on a free loopback port and one user; `POST /api/auth/token` with a wrong
password, alternating a name that exists and one that does not. If the two times differ, the time of
a refusal tells an attacker which names exist. The throttle is set wide open (it would answer 429
after a few failures and spoil the figure). Takes about 10 s. Before the fix: known ~60 ms, unknown
~107 ms (the unknown name paid for hashing a dummy password and then for checking it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from hub.core import Hub
from hub.core.auth import Role

CONFIG = "hub: {name: bench}\nui: {port: 0, max_failed_logins: 100}\n"


async def main(attempts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp)
        (config_dir / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
        hub = Hub(config_dir)
        await hub.async_start()
        try:
            await hub.auth.async_add_user("wang.wei", "bench-password-1", frozenset({Role.GUARD}))
            url = hub.data["ui"].url + "/api/auth/token"
            times: dict[str, list[float]] = {"known": [], "unknown": []}
            async with aiohttp.ClientSession() as session:
                for n in range(attempts):
                    for kind, name in (("known", "wang.wei"), ("unknown", f"nobody{n}")):
                        start = time.perf_counter()
                        async with session.post(url, json={"username": name, "password": "wrong-1"}) as r:
                            assert r.status == 401, await r.text()
                        times[kind].append((time.perf_counter() - start) * 1000)
        finally:
            await hub.async_stop()
    for kind, values in times.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"{kind:>8} name: mean {statistics.mean(values):6.1f} ms  p50 {statistics.median(values):6.1f} ms"
            f"  p95 {p95:6.1f} ms  ({len(values)} attempts)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=40)
    logging.basicConfig(level=logging.ERROR)  # each refusal logs a warning
    asyncio.run(main(parser.parse_args().attempts))
