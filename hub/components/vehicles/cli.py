"""`ecogate vehicles import|export|blacklist-import`: the register from the command line, hub running or not.

A running hub picks up what the command wrote within `vehicles.sync_seconds` (it reads the history).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HELP = "台账基础信息 vehicle register: import and export .xlsx/.csv"
CLASSES = ("transport", "in_plant", "machinery")


def add_commands(subparsers: argparse._SubParsersAction, with_storage: Callable[..., int]) -> None:  # type: ignore[type-arg]
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
    args.file = str(Path(args.file).resolve())  # relative to where the command was given
    return with_storage(args.config, lambda hub: _job(hub, args))


async def _job(hub: Any, args: argparse.Namespace) -> int:
    from hub.core import HubError

    from .config import VehiclesConfig
    from .register import Actor, Register
    from .tabular import TableError

    if "vehicles" not in hub.config:
        raise HubError("the register is not configured (no `vehicles:` section in configuration.yaml)")
    register = Register(hub, VehiclesConfig.model_validate(hub.config.get("vehicles") or {}))
    await register.async_load()
    actor = Actor(door="cli", source=f"cli:{_os_user()} {Path(args.file).name}")
    try:
        if args.vehicles_command == "export":
            return await _export(register, args)
        return await _import(register, args, actor)
    except (TableError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


async def _export(register: Any, args: argparse.Namespace) -> int:
    from hub.util.files import write_atomic

    from .fields import VehicleClass
    from .services import async_export

    path = Path(args.file)
    fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    content, _, rows = await async_export(register, VehicleClass(args.vclass), fmt, labels=not args.codes)
    await register.hub.async_add_executor_job(write_atomic, path, content)
    print(
        json.dumps({"path": str(path), "rows": rows}) if args.json else f"导出 {rows} 条 exported to {path}"
    )
    return 0


async def _import(register: Any, args: argparse.Namespace, actor: Any) -> int:
    from . import lists
    from .fields import VehicleClass
    from .services import async_parse_blacklist, async_parse_import
    from .tabular import detect_format

    hub = register.hub
    content = await hub.async_add_executor_job(Path(args.file).read_bytes)
    if args.vehicles_command == "blacklist-import":
        fmt = detect_format(content, args.file)
        parsed = await async_parse_blacklist(register, content, fmt)
        report = await lists.async_blacklist_import(
            register, parsed, args.source, not args.keep, actor, dry_run=args.dry_run
        )
    else:
        vclass = VehicleClass(args.vclass)
        parsed = await async_parse_import(register, vclass, content, args.file, None)
        report = await register.async_import(vclass, parsed, actor, dry_run=args.dry_run)
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


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
