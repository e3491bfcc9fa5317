"""`ecogate ledger verify|backup|restore|query`: the ledger from the command line, hub running or not."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

HELP = "电子台账 passage ledger: verify the chains, back up, restore, search"


def add_commands(subparsers: argparse._SubParsersAction, with_storage: Callable[..., int]) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("ledger", help=HELP, description=HELP)
    sub = parser.add_subparsers(dest="ledger_command", required=True)

    verify = sub.add_parser(
        "verify", help="walk both hash chains and the photo files; exit 1 naming the first bad row"
    )
    verify.add_argument("--no-evidence", action="store_true", help="skip reading the photo files")
    verify.add_argument("--json", action="store_true")

    backup = sub.add_parser("backup", help="online backup of the ledger and its photos (the hub may run)")
    backup.add_argument("--to", help="backup folder (default: <data>/backups)")

    restore = sub.add_parser("restore", help="restore a backup (stop the hub first)")
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
    if args.ledger_command == "restore":
        from .restore import restore

        return restore(args, with_storage)
    jobs: dict[str, Callable[[Any, argparse.Namespace], Awaitable[int]]] = {
        "verify": _verify,
        "backup": _backup,
        "query": _query,
    }
    job = jobs[args.ledger_command]
    if getattr(args, "to", None):
        args.to = str(Path(args.to).resolve())  # relative to where the command was given
    return with_storage(args.config, lambda hub: _with_ledger(hub, args, job))


async def _with_ledger(hub: Any, args: argparse.Namespace, job: Callable[..., Awaitable[int]]) -> int:
    from hub.core import HubError

    from .config import LedgerConfig
    from .recorder import Ledger

    if "ledger" not in hub.config:
        raise HubError("the ledger is not configured (no `ledger:` section in configuration.yaml)")
    ledger = Ledger(hub, LedgerConfig.model_validate(hub.config.get("ledger") or {}))
    await ledger.async_start()
    try:
        return await job(ledger, args)
    finally:
        await ledger.async_stop()


async def _verify(ledger: Any, args: argparse.Namespace) -> int:
    from .verify import async_verify

    evidence = None if args.no_evidence else ledger.evidence
    hub = ledger.hub
    reports = await async_verify(
        ledger.conn, ledger.dialect, hub.async_add_executor_job, hub.data_dir, evidence
    )
    ok = all(r.ok for r in reports)
    if args.json:
        print(json.dumps({"ok": ok, "chains": [r.as_dict() for r in reports]}, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            print(report)
            for note in report.notes:
                print(f"  note: {note}")
        print("校验通过 verified" if ok else "校验失败 VERIFY FAILED", file=sys.stdout if ok else sys.stderr)
    first_bad = next((r for r in reports if not r.ok), None)
    await ledger.async_audit(
        action="ledger.verify", door="cli", outcome="ok" if ok else "failed",
        detail={"os_user": _os_user(), "problem": str(first_bad.fault) if first_bad else None},
    )  # fmt: skip
    return 0 if ok else 1


async def _backup(ledger: Any, args: argparse.Namespace) -> int:
    from .backup import async_backup
    from .services import async_heads, backup_root

    root = Path(args.to) if args.to else backup_root(ledger)
    manifest = await async_backup(ledger.hub, root, await async_heads(ledger), keep=ledger.config.backup_keep)
    await ledger.async_audit(action="ledger.backup", door="cli", detail={**manifest, "os_user": _os_user()})
    print(f"backup written to {manifest['path']} ({manifest['method']}, {manifest['photos']} photos)")
    return 0


async def _query(ledger: Any, args: argparse.Namespace) -> int:
    from .query import async_query_audit, async_query_passages
    from .schemas import AuditQuery, PassageQuery

    tz = ledger.hub.clock.tz
    fields: dict[str, Any] = {"page": args.page, "page_size": args.page_size}
    for name in ("start", "end"):
        if getattr(args, name):
            moment = datetime.fromisoformat(getattr(args, name))
            fields[name] = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if args.sort:
        fields["sort"] = args.sort
    try:
        if args.audit:
            fields.update({k: getattr(args, k) for k in ("username", "action") if getattr(args, k)})
            result = await async_query_audit(ledger.conn, ledger.dialect, AuditQuery(**fields))
        else:
            names = ("plate", "gate", "lane", "direction", "decision", "fleet", "fuel", "vehicle_class")
            fields.update({k: getattr(args, k) for k in (*names, "emission_stage") if getattr(args, k)})
            if args.contains:
                fields["plate_contains"] = args.contains
            if args.released is not None:
                fields["released"] = args.released
            result = await async_query_passages(ledger.conn, ledger.dialect, PassageQuery(**fields))
    except ValidationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    await ledger.async_audit(
        action="ledger.audit_query" if args.audit else "ledger.query", door="cli",
        detail={"filters": fields, "total": result["total"], "os_user": _os_user()},
    )  # fmt: skip
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


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
