"""`ecogate report daily|weekly|monthly|clean-transport|alerts|carriers` and `ecogate export KIND`: thin
callers of the `reports.*` services on the plant's database (the hub may run; this only reads the ledger
and writes report files and the reports' own tables)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, get_args

from .export import TITLES
from .schemas import ExportKind

REPORT_HELP = "合规报表 compliance reports: daily, weekly, monthly statistics, clean-transport ratio, alerts"
EXPORT_HELP = "导出 write a report, an HJ 1321 appendix table or the evidence pack to the reports folder"


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], with_storage: Callable[..., int]
) -> None:
    report = subparsers.add_parser("report", help=REPORT_HELP, description=REPORT_HELP)
    sub = report.add_subparsers(dest="report_command", required=True)
    commands = []
    for name, help_text in (
        ("daily", "one day's statistics"),
        ("weekly", "the ISO week holding --date"),
        ("alerts", "alert periods of the month holding --date"),
        ("carriers", "carrier scorecards of the month holding --date"),
    ):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default today)")
        commands.append(command)
    monthly = sub.add_parser("monthly", help="a month's statistics with a row per day")
    monthly.add_argument("--month", required=True, help="YYYY-MM")
    clean = sub.add_parser("clean-transport", help="清洁运输比例 of a range of days")
    clean.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
    clean.add_argument("--to", dest="end", required=True, type=date.fromisoformat, help="last day, inclusive")
    for command in (*commands, monthly, clean):
        command.add_argument(
            "--format",
            choices=("json", "xlsx", "csv"),
            default="json",
            help="json: print the figures; xlsx/csv: write the file and print its name",
        )
        command.add_argument("-c", "--config", default="config", help="configuration directory")
        command.set_defaults(func=lambda args: _run(args, _async_report))

    export = subparsers.add_parser("export", help=EXPORT_HELP, description=EXPORT_HELP)
    kinds = export.add_subparsers(dest="export_command", required=True)
    for kind in get_args(ExportKind):
        command = kinds.add_parser(kind, help=f"{TITLES[kind]} ({kind})")
        command.add_argument(
            "--period", choices=("day", "week", "month", "quarter", "year", "custom"), default="month"
        )
        command.add_argument(
            "--date", type=date.fromisoformat, help="a day inside the period (default today)"
        )
        command.add_argument("--from", dest="start", type=date.fromisoformat, help="custom period: first day")
        command.add_argument("--to", dest="end", type=date.fromisoformat, help="custom period: last day")
        command.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
        command.add_argument("--gbk", action="store_true", help="CSV in GBK instead of UTF-8 with BOM")
        command.add_argument("--gate")
        command.add_argument("--lane")
        command.add_argument("-c", "--config", default="config", help="configuration directory")
        command.set_defaults(func=lambda args: _run(args, _async_export))
    chain = kinds.add_parser(
        "chain", help="台账哈希链导出 ledger rows of a period with a standalone verifier (verifier.html)"
    )
    chain.add_argument("--from", dest="start", required=True, help="ISO date or time (plant time zone)")
    chain.add_argument("--to", dest="end", required=True, help="ISO date or time (exclusive)")
    chain.add_argument("--out", required=True, help="folder to write chain.json, chain.csv and verifier.html")
    chain.add_argument("-c", "--config", default="config", help="configuration directory")
    chain.set_defaults(func=_chain)


def _run(args: argparse.Namespace, job: Callable[[Any, argparse.Namespace], Awaitable[int]]) -> int:
    """Through the running hub when one runs, else on the data with ledger and reports set up here."""
    from hub.core.control_client import run_command

    async def with_door(door: Any) -> int:
        if "reports" not in door.config:
            print(
                "reports are not configured: add a `reports:` section to configuration.yaml", file=sys.stderr
            )
            return 2
        return await job(door, args)

    return run_command(args.config, with_door, setup=("ledger", "reports"))


async def _async_report(door: Any, args: argparse.Namespace) -> int:
    command = args.report_command
    if command == "monthly":
        data: dict[str, Any] = {"period": "month", "date": f"{args.month}-01"}
    elif command == "clean-transport":
        data = {"period": "custom", "start": args.start.isoformat(), "end": args.end.isoformat()}
    else:
        period = {"daily": "day", "weekly": "week"}.get(command, "month")
        data = {"period": period, "date": args.date.isoformat() if args.date else None}
    service = {"clean-transport": "clean_transport", "alerts": "alerts", "carriers": "carriers"}.get(
        command, "statistics"
    )
    if args.format == "json":
        print(
            json.dumps(await door.call("reports", service, data), ensure_ascii=False, indent=1, default=str)
        )
        return 0
    kind = {"statistics": "statistics"}.get(service, service)
    info = await door.call("reports", "export", {**data, "kind": kind, "format": args.format})
    print(f"{info['name']}  {info['rows']} rows  sha256 {info['sha256']}")
    return 0


async def _async_export(door: Any, args: argparse.Namespace) -> int:
    data = {
        "kind": args.export_command,
        "period": args.period,
        "format": args.format,
        "encoding": "gbk" if args.gbk else "utf-8",
        "gate": args.gate,
        "lane": args.lane,
        **{k: getattr(args, k).isoformat() for k in ("date", "start", "end") if getattr(args, k)},
    }
    info = await door.call("reports", "export", data)
    print(f"{info['name']}  {info['rows']} rows  sha256 {info['sha256']}")
    return 0


def _chain(args: argparse.Namespace) -> int:
    """The hub (running, or set up by this command) writes the export under data/exports; the files
    are then copied to --out."""
    from hub.core.control_client import run_command

    out = Path(args.out).resolve()  # relative to where the command was given

    async def job(door: Any) -> int:
        from hub.core import HubError

        for section in ("ledger", "reports"):
            if section not in door.config:
                raise HubError(f"`{section}:` is not configured in configuration.yaml")
        result = await door.call("reports", "export_chain", {"start": args.start, "end": args.end})
        source = Path(result["path"])
        out.mkdir(parents=True, exist_ok=True)
        for name in result["files"]:
            if source != out:
                shutil.copyfile(source / name, out / name)
        size = (out / "chain.json").stat().st_size
        print(f"written to {out}: chain.json ({size} bytes), chain.csv, verifier.html")
        print(
            "open verifier.html in a browser, choose chain.json 用浏览器打开 verifier.html 并选择 chain.json"
        )
        return 0

    return run_command(args.config, job, setup=("ledger", "reports"))
