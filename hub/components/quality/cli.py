"""`ecogate report quality --date D`.

Both extend commands the reports component may own (`report`, `export`): hub/cli.py calls this module
after the others (`EXTENDS`), and each command group is taken as it is or made here when nobody made it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TypeAlias

EXTENDS = ("report",)  # command groups this module adds to (hub/cli.py runs it after the rest)


# A string: argparse's class is not subscriptable at run time.
Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def command_group(subparsers: Group, name: str, help_text: str) -> Group:
    """The sub-command action of the top-level command `name`, made when missing."""
    parser = subparsers.choices.get(name)
    if parser is None:
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
    for action in parser._actions:  # argparse keeps no public handle on a parser's sub-commands
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def add_commands(subparsers: Group, with_storage: Callable[..., int]) -> None:
    report = command_group(subparsers, "report", "报表 reports")
    quality = report.add_parser(
        "quality", help="数据质量检查 run the data-quality rules over a day or a range and list the findings"
    )
    quality.add_argument("--date", help="a day, YYYY-MM-DD (default: yesterday)")
    quality.add_argument("--from", dest="start", help="first day of a range, YYYY-MM-DD")
    quality.add_argument("--to", dest="end", help="last day of a range (included)")
    quality.add_argument("--all", action="store_true", help="list acknowledged and resolved findings too")
    quality.add_argument("--json", action="store_true")
    quality.add_argument("-c", "--config", default="config", help="configuration directory")
    quality.set_defaults(func=_report_quality)


async def _quality(door: Any, args: argparse.Namespace) -> int:
    from hub.core import HubError

    for section in ("ledger", "quality"):
        if section not in door.config:
            raise HubError(f"`{section}:` is not configured in configuration.yaml")
    data: dict[str, Any] = {}
    if args.date:
        data["date"] = args.date
    elif args.start or args.end:
        data.update(start=args.start, end=args.end or args.start)
    summary = await door.call("quality", "run", data)
    found = await door.call(
        "quality", "findings",
        {"status": "all" if args.all else "open", "start": summary["from"], "end": summary["to"],
         "page_size": 500},
    )  # fmt: skip
    if args.json:
        print(json.dumps({"summary": summary, "findings": found}, ensure_ascii=False, indent=2))
        return 0
    print(
        f"数据质量 data quality {summary['period']}: {summary['passages']} passages, "
        f"{summary['found']} findings ({summary['new']} new), {summary['open']} open in all, "
        f"{summary['seconds']} s"
    )
    for rule, figures in summary["rules"].items():
        if figures["found"]:
            found_n, open_n = figures["found"], figures["open"]
            print(f"  {rule:<26} {figures['severity']:<8} found {found_n:>5}  open {open_n:>5}")
    for note in summary["notes"]:
        print(f"  note: {note}")
    for item in found["items"]:
        print(f"#{item['id']:<6} {item['day']} {item['rule']:<24} {item['status']:<12} {item['summary']}")
    if found["total"] > len(found["items"]):
        print(f"… {found['total'] - len(found['items'])} more (quality.findings lists them page by page)")
    return 0


def _report_quality(args: argparse.Namespace) -> int:
    """Through the running hub when one runs (its services, roles and audit), else on its own."""
    from hub.core.control_client import run_command

    return run_command(args.config, lambda door: _quality(door, args), setup=("ledger", "quality"))
