"""`ecogate ledger verify|backup|restore|query`: the ledger's services from the command line, through the
running hub or, when none runs, on the plant's own storage (hub/core/control_client.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .restore import restore
from .verify import print_verdict

HELP = "电子台账 passage ledger: verify the chains, back up, restore, search"


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], with_storage: Callable[..., int]
) -> None:
    parser = subparsers.add_parser("ledger", help=HELP, description=HELP)
    sub = parser.add_subparsers(dest="ledger_command", required=True)

    verify = sub.add_parser(
        "verify", help="walk both hash chains and the photo files; exit 1 naming the first bad row"
    )
    verify.add_argument("--no-evidence", action="store_true", help="skip reading the photo files")
    verify.add_argument("--json", action="store_true")

    backup = sub.add_parser("backup", help="online backup of the ledger and its photos (the hub may run)")
    backup.add_argument("--to", help="backup folder (default: <data>/backups)")

    restore = sub.add_parser("restore", help="restore a backup (the hub must be stopped)")
    restore.add_argument("source", help="a folder written by `ecogate ledger backup`")
    restore.add_argument("--force", action="store_true", help="replace an existing database")

    query = sub.add_parser("query", help="search passages (or the audit log with --audit)")
    query.add_argument("--plate", help="exact plate (a corrected plate counts)")
    query.add_argument("--contains", help="part of a plate")
    query.add_argument("--from", dest="start", help="ISO time, plant time zone unless given")
    query.add_argument("--to", dest="end", help="ISO time (exclusive)")
    for name in ("gate", "lane", "direction", "decision", "fleet", "fuel"):
        query.add_argument(f"--{name}")
    query.add_argument("--class", dest="vehicle_class")
    query.add_argument("--stage", dest="emission_stage")
    query.add_argument("--released", action=argparse.BooleanOptionalAction, default=None)
    query.add_argument("--audit", action="store_true", help="search the audit log instead")
    query.add_argument("--user", dest="username", help="(audit) user name")
    query.add_argument("--action", help="(audit) action, or a prefix ending in '.'")
    query.add_argument("--page", type=int, default=1)
    query.add_argument("--page-size", type=int, default=50)
    query.add_argument("--sort", default=None)
    query.add_argument("--json", action="store_true")

    for command in (verify, backup, restore, query):
        command.add_argument("-c", "--config", default="config", help="configuration directory")
    parser.set_defaults(func=lambda args: _dispatch(args, with_storage))


def _dispatch(args: argparse.Namespace, with_storage: Callable[..., int]) -> int:
    from hub.core.control_client import run_command

    if args.ledger_command == "restore":
        return restore(args)
    jobs: dict[str, Callable[[Any, argparse.Namespace], Awaitable[int]]] = {
        "verify": _verify,
        "backup": _backup,
        "query": _query,
    }
    job = jobs[args.ledger_command]
    if getattr(args, "to", None):
        args.to = str(Path(args.to).resolve())  # relative to where the command was given
    return run_command(args.config, lambda door: _with_ledger(door, args, job), setup=("ledger",))


async def _with_ledger(door: Any, args: argparse.Namespace, job: Callable[..., Awaitable[int]]) -> int:
    from hub.core import HubError

    if "ledger" not in door.config:
        raise HubError("the ledger is not configured (no `ledger:` section in configuration.yaml)")
    return await job(door, args)


async def _verify(door: Any, args: argparse.Namespace) -> int:
    result = await door.call("ledger", "verify", {"evidence": not args.no_evidence})
    print_verdict(result, as_json=args.json)
    return 0 if result["ok"] else 1


async def _backup(door: Any, args: argparse.Namespace) -> int:
    manifest = await door.call("ledger", "backup", {"to": args.to} if args.to else {})
    print(f"backup written to {manifest['path']} ({manifest['method']}, {manifest['photos']} photos)")
    return 0


async def _query(door: Any, args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {"page": args.page, "page_size": args.page_size}
    for name in ("start", "end"):
        if getattr(args, name):
            try:
                moment = datetime.fromisoformat(getattr(args, name))
            except ValueError as err:
                print(f"error: --{'from' if name == 'start' else 'to'}: {err}", file=sys.stderr)
                return 2
            fields[name] = (moment if moment.tzinfo else moment.replace(tzinfo=door.tz)).isoformat()
    if args.sort:
        fields["sort"] = args.sort
    if args.audit:
        fields.update({k: getattr(args, k) for k in ("username", "action") if getattr(args, k)})
        result = await door.call("ledger", "audit_query", fields)
    else:
        names = ("plate", "gate", "lane", "direction", "decision", "fleet", "fuel", "vehicle_class")
        fields.update({k: getattr(args, k) for k in (*names, "emission_stage") if getattr(args, k)})
        if args.contains:
            fields["plate_contains"] = args.contains
        if args.released is not None:
            fields["released"] = args.released
        result = await door.call("ledger", "query", fields)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"共 {result['total']} 条 total, page {result['page']}")
    for item in result["items"]:
        print(_line(item, audit=args.audit))
    return 0


def _line(item: dict[str, Any], *, audit: bool) -> str:
    if audit:
        who = item.get("username") or item.get("user_id") or "-"
        return (
            f"#{item['seq']:<7} {item['at']}  {who:<10} {item['door']:<8} {item['action']:<28} "
            f"{item['outcome']} {item.get('target') or ''}"
        )
    released = " 特批放行" if item.get("released") else ""
    return (
        f"#{item['seq']:<7} {item['recorded_at']}  {item['gate']}/{item['lane']:<6} {item['direction']:<3} "
        f"{item['plate'] or '-':<9} {item.get('emission_stage') or '-':<2} {item.get('fuel') or '-'} "
        f"{item['decision']:<6} {item.get('reason_text') or ''}{released}"
    )
