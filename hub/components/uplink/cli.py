"""`ecogate uplink status|simulator`: upload status per platform and day from the command line (through
the running hub's `uplink.status`, or from the stored tables when none runs), and a standalone platform
simulator for trials against a hub in another process."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

HELP = "监管平台上传 supervisory-platform uplink: status per platform and day, a platform simulator"


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], with_storage: Callable[..., int]
) -> None:
    parser = subparsers.add_parser("uplink", help=HELP, description=HELP)
    sub = parser.add_subparsers(dest="uplink_command", required=True)

    status = sub.add_parser("status", help="records due, sent, acknowledged, rejected, pending per day")
    status.add_argument("-c", "--config", default="config", help="configuration directory")
    status.add_argument("--platform", help="one platform (default: all)")
    status.add_argument("--date", type=date.fromisoformat, help="one day, YYYY-MM-DD")
    status.add_argument("--days", type=int, default=7, help="this many days back from today (default 7)")
    status.add_argument("--json", action="store_true")

    sim = sub.add_parser("simulator", help="run a platform simulator until Ctrl-C")
    sim.add_argument("--profile", default="default", help="a shipped profile or a YAML file")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8765)
    sim.add_argument("--account", default="demo")
    sim.add_argument("--key", default="demo-key")
    sim.add_argument("--secret", default="demo-secret")
    parser.set_defaults(func=lambda args: _dispatch(args, with_storage))


def _dispatch(args: argparse.Namespace, with_storage: Callable[..., int]) -> int:
    if args.uplink_command == "simulator":
        try:
            return asyncio.run(_simulator(args))
        except KeyboardInterrupt:
            return 0
    from hub.core.control_client import run_command

    return run_command(args.config, lambda door: _status(door, args))


async def _status(door: Any, args: argparse.Namespace) -> int:
    from hub.core import HubError

    if "uplink" not in door.config:
        raise HubError("the uplink is not configured (no `uplink:` section in configuration.yaml)")
    if door.remote:  # the running hub answers with its own service (and its links' live state)
        data = {"platform": args.platform, "date": args.date, "days": args.days}
        result = (await door.call("uplink", "status", data))["platforms"]
    else:  # no hub runs: the links' tables, read while this command holds the data directory
        result = await _stored_status(door.hub, args)
    if args.json:
        print(json.dumps({"platforms": result}, ensure_ascii=False, indent=2, default=str))
        return 0
    for item in result:
        print(_report(item))
    return 0


async def _stored_status(hub: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    from hub.core import ServiceValidationError

    from .status import async_known_platforms, async_platform_status

    configured = [str(p.get("name")) for p in (hub.config.get("uplink") or {}).get("platforms", []) or []]
    names = list(dict.fromkeys([*configured, *await async_known_platforms()]))
    if args.platform:
        if args.platform not in names:
            known = ", ".join(names) or "none"
            raise ServiceValidationError(
                "uplink", "status", [("platform", f"no platform {args.platform!r} (known: {known})")]
            )
        names = [args.platform]
    today = hub.now().date()
    return [await async_platform_status(n, today=today, day=args.date, days=args.days) for n in names]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _report(item: dict[str, Any]) -> str:
    lines = [f"平台 platform {item['name']}"]
    cursor = item["cursor"]
    if cursor:
        lines[0] += f"  (acknowledged through ledger #{cursor['acked_seq']}, since {cursor['since']})"
    lines.append(f"{'日期 date':<12}{'应传':>6}{'已发':>6}{'已确认':>8}{'拒收':>6}{'待传':>6}"
                 f"{'上传率':>9}{'及时率':>9}  日报 daily report")  # fmt: skip
    for d in item["days"]:
        report = d["daily_report"]["status"] or "-"
        counts = f"{d['due']:>8}{d['sent']:>8}{d['acknowledged']:>10}{d['rejected']:>8}{d['pending']:>8}"
        rates = f"{_pct(d['upload_rate']):>12}{_pct(d['on_time_rate']):>12}"
        lines.append(f"{d['date']:<12}{counts}{rates}  {report}")
    lines.append(f"待传合计 pending {item['pending_total']}   暂存(拒收) parked {item['parked_total']}")
    for p in item["parked"]:
        who = "平台拒收" if p["source"] == "platform" else "无法映射"
        lines.append(f"  {p['day']} {p.get('gate') or '-':<10} {p.get('plate') or '-':<9} {p['kind']:<10} "
                     f"{who}: {p['reason']}")  # fmt: skip
    for job in item["resend_jobs"]:
        lines.append(
            f"  补传 resend #{job['id']} {job['status']}: sent {job['sent']}, "
            f"accepted {job['accepted']}, rejected {job['rejected']}"
        )
    return "\n".join(lines) + "\n"


async def _simulator(args: argparse.Namespace) -> int:
    import logging

    from hub.core import ConfigError

    from .profile import load_profile
    from .simulator import PlatformSimulator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    try:
        profile = load_profile(args.profile)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sim = PlatformSimulator(profile, host=args.host, port=args.port, account=args.account, key=args.key,
                            secret=args.secret)  # fmt: skip
    await sim.async_start()
    print(
        f"platform simulator ({profile.name}) on {sim.url}; account {args.account}; Ctrl-C stops", flush=True
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sim.async_stop()
    return 0
