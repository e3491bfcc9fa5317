"""`ecogate vehicles import|export|blacklist-import`: the register's services from the command line.

With a hub running, the command hands the file to it (streamed over its control socket, see
hub/core/control_client.py) and the hub's register changes at once; with none running, the command
sets the register up itself while it holds the data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HELP = "台账基础信息 vehicle register: import and export .xlsx/.csv"
CLASSES = ("transport", "in_plant", "machinery")


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], with_storage: Callable[..., int]
) -> None:
    parser = subparsers.add_parser("vehicles", help=HELP, description=HELP)
    sub = parser.add_subparsers(dest="vehicles_command", required=True)
    imp = sub.add_parser(
        "import", help="import a class from .xlsx or .csv; bad rows are listed, good rows go in"
    )
    imp.add_argument("vclass", choices=CLASSES, metavar="CLASS", help=" | ".join(CLASSES))
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check only, change nothing")
    exp = sub.add_parser("export", help="export a class to .xlsx or .csv (by the file's extension)")
    exp.add_argument("vclass", choices=CLASSES, metavar="CLASS", help=" | ".join(CLASSES))
    exp.add_argument("file")
    exp.add_argument("--codes", action="store_true", help="code-list values as codes (5, B) instead of names")
    black = sub.add_parser("blacklist-import", help="import the platform's blacklist (.xlsx/.csv)")
    black.add_argument("file")
    black.add_argument("--source", default="platform")
    black.add_argument("--keep", action="store_true", help="keep entries of the source missing from the file")
    black.add_argument("--dry-run", action="store_true")
    for command in (imp, exp, black):
        command.add_argument("-c", "--config", default="config", help="configuration directory")
        command.add_argument("--json", action="store_true")
    parser.set_defaults(func=lambda args: _dispatch(args, with_storage))


def _dispatch(args: argparse.Namespace, with_storage: Callable[..., int]) -> int:
    from hub.core.control_client import run_command

    args.file = str(Path(args.file).resolve())  # relative to where the command was given
    return run_command(args.config, lambda door: _job(door, args), setup=("ledger", "vehicles"))


async def _job(door: Any, args: argparse.Namespace) -> int:
    from hub.core import HubError

    if "vehicles" not in door.config:
        raise HubError("the register is not configured (no `vehicles:` section in configuration.yaml)")
    try:
        if args.vehicles_command == "export":
            return await _export(door, args)
        return await _import(door, args)
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


async def _export(door: Any, args: argparse.Namespace) -> int:
    from hub.util.files import write_atomic

    path = Path(args.file)
    fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    data = {"class": args.vclass, "format": fmt, "labels": not args.codes}
    result = await door.call("vehicles", "export", data)
    # Written by this process, as the person who gave the command: the hub need not reach the folder.
    await asyncio.to_thread(write_atomic, path, result["content"])
    rows = result["rows"]
    print(
        json.dumps({"path": str(path), "rows": rows}) if args.json else f"导出 {rows} 条 exported to {path}"
    )
    return 0


async def _import(door: Any, args: argparse.Namespace) -> int:
    path = Path(args.file)
    data: dict[str, Any] = {"filename": path.name, "dry_run": args.dry_run}
    if args.vehicles_command == "blacklist-import":
        data |= {"source": args.source, "replace": not args.keep}
        report = await door.call("vehicles", "blacklist_import", data, upload=path)
    else:
        report = await door.call("vehicles", "import", data | {"class": args.vclass}, upload=path)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_summary(report))
    return 1 if report["rejected"] else 0


def _summary(report: dict[str, Any]) -> str:
    lines = [
        ("检查 dry run: " if report["dry_run"] else "")
        + f"共 {report['total']} 行 rows: 新增 created {report['created']}, "
        + f"更新 updated {report['updated']}, "
        + (
            f"删除 removed {report['removed']}, "
            if "removed" in report
            else f"未变 unchanged {report['unchanged']}, "
        )
        + f"拒绝 rejected {report['rejected']}"
    ]
    lines += [f"  第{e['row']}行 row {e['row']}: {e['reason']}" for e in report["errors"]]
    lines += [f"  注意 warning: {w}" for w in report["warnings"]]
    return "\n".join(lines)
