"""`ecogate vehicles import` of a big file, with no hub running and through a running hub (issue 14 §2).

    .venv/bin/python bench/cli_import.py [--rows 100000] [--format csv|xlsx]

With no hub, the command owns the data directory and imports on its own. With a hub running (here, in
this process), the command streams the file over the hub's control socket and the hub imports it.
Printed for each: the command's wall time, the command's peak memory (VmHWM), and for the hub case how
much the hub's own peak memory grew: the command streams the file and never holds it whole.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from import_gate_latency import import_file

from hub.core import Hub

REPO = Path(__file__).resolve().parent.parent
CONFIG = "hub:\n  name: 导入测试\nledger:\nvehicles:\n  max_import_rows: 200000\n"


def command(config_dir: Path, source: Path) -> tuple[float, int, str]:
    """Blocking: run the command; (seconds, its peak KiB, the first line it printed).

    The peak is the child's own VmHWM, read while it runs: ru_maxrss from wait4 would count this
    process's memory too, which a vforked child inherits as its high-water mark across exec."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:  # a pipe would fill up with the report's refused rows
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "vehicles", "import", "transport", str(source),
             "-c", str(config_dir)],
            cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        peak = 0
        while proc.poll() is None:
            peak = max(peak, peak_kib(proc.pid))
            time.sleep(0.05)
        output.seek(0)
        out = output.read().decode("utf-8", "replace")
    return time.perf_counter() - started, peak, out.strip().splitlines()[0]


def peak_kib(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:  # the process has just ended
        pass
    return 0


async def run(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="cli-import-bench-"))
    config_dir = directory / "plant"
    config_dir.mkdir()
    (config_dir / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
    first = directory / f"first.{args.format}"
    second = directory / f"second.{args.format}"
    first.write_bytes(await asyncio.to_thread(import_file, args.rows, 0, args.format))
    second.write_bytes(await asyncio.to_thread(import_file, args.rows, args.rows, args.format))
    print(f"import file: {args.rows} rows, {args.format}, {first.stat().st_size / 2**20:.1f} MiB")

    seconds, rss, out = await asyncio.to_thread(command, config_dir, first)
    print(f"no hub running:  {seconds:6.1f} s, command peak {rss / 1024:6.0f} MiB   ({out})")

    hub = Hub(config_dir)
    await hub.async_start()
    try:
        before = peak_kib()
        seconds, rss, out = await asyncio.to_thread(command, config_dir, second)
        grown = peak_kib() - before
        print(
            f"through the hub: {seconds:6.1f} s, command peak {rss / 1024:6.0f} MiB, hub peak grew "
            f"{grown / 1024:6.0f} MiB   ({out})"
        )
    finally:
        await hub.async_stop()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
