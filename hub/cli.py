"""The `ecogate` command: run a plant, run the demo plant, manage users; integrations add their own."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from hub import __version__

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), format=LOG_FORMAT)
    # Protocol libraries are chatty at INFO; their warnings still show.
    for noisy in ("asyncua", "pymodbus", "tortoise", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    from hub.core import Hub

    _setup_logging(args.log_level)
    return asyncio.run(Hub(args.config).async_run())


def _demo(args: argparse.Namespace) -> int:
    from hub.core import Hub
    from hub.core.const import EVENT_HUB_STARTED
    from hub.demo import async_ensure_demo_users, endpoints, prepare_demo

    _setup_logging(args.log_level)
    config_dir = prepare_demo(Path(args.config), rate_per_minute=args.rate, seed=args.seed)
    accounts: list[str] = []

    async def users(hub: Hub) -> int:
        accounts.extend(await async_ensure_demo_users(hub))
        return 0

    if with_storage(str(config_dir), users):
        return 2
    print(f"EcoGate demo plant 演示工厂: configuration in {config_dir}", flush=True)
    print("Demo accounts (localhost only):\n" + "\n".join(accounts), flush=True)

    async def run() -> int:
        hub = Hub(config_dir)
        hub.bus.async_listen(
            EVENT_HUB_STARTED, lambda _e: print("Open:\n" + "\n".join(endpoints(hub)), flush=True)
        )
        return await hub.async_run()

    return asyncio.run(run())


def with_storage(config_dir: str, job: Callable[..., Awaitable[int]]) -> int:
    """Run `job(hub)` with the plant's configuration validated and its database open, while no hub runs.

    The command owns the data directory meanwhile (a hub refuses to start); with a hub running it
    stops with the reason. Commands that should work either way use `hub.core.control_client.run_command`.
    """
    from hub.core.control_client import Door, LocalDoor, run_command

    async def on_own_storage(door: Door) -> int:
        assert isinstance(door, LocalDoor)  # alone: never through a hub
        return await job(door.hub)

    return run_command(config_dir, on_own_storage, alone=True)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("passwords differ")
    return first


def _user(args: argparse.Namespace) -> int:
    """`ecogate user ...`: the `auth.*` services, through the running hub or on the stopped plant."""
    from hub.core.control_client import Door, run_command

    password = _read_password(args) if args.user_command in ("add", "passwd") else None

    async def job(door: Door) -> int:
        if args.user_command == "add":
            data = {"username": args.username, "password": password, "roles": args.roles.split(",")}
            user = await door.call("auth", "add_user", data)
            print(f"added {user['username']} ({', '.join(user['roles'])})")
        elif args.user_command == "passwd":
            await door.call("auth", "set_password", {"username": args.username, "password": password})
            print(f"password of {args.username} changed")
        elif args.user_command == "unlock":
            result = await door.call("auth", "unlock", {"username": args.username})
            if door.remote:
                print(f"sign-in delays of {args.username} lifted ({result['lifted']})")
            else:
                print(f"no hub is running: {args.username} has no sign-in delays to lift")
        else:
            for user in await door.call("auth", "users"):
                state = "" if user["active"] else " (disabled)"
                print(f"{user['username']}\t{','.join(user['roles'])}{state}")
        return 0

    return run_command(args.config, job, setup=("ledger",))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecogate", description="EcoGate Hub 环保门禁电子台账")
    parser.add_argument("--version", action="version", version=f"ecogate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a plant from its configuration directory")
    run.add_argument("-c", "--config", default="config", help="configuration directory")
    run.add_argument("--log-level", default="INFO")
    run.set_defaults(func=_run)

    demo = sub.add_parser("demo", help="run the demo plant: simulated gates, no hardware")
    demo.add_argument("-c", "--config", default="config/demo", help="where the demo configuration lives")
    demo.add_argument("--rate", type=float, default=None, help="vehicles per minute over all lanes")
    demo.add_argument("--seed", type=int, default=None, help="traffic seed (repeatable runs)")
    demo.add_argument("--log-level", default="INFO")
    demo.set_defaults(func=_demo)

    user = sub.add_parser("user", help="manage users and roles")
    user.add_argument("-c", "--config", default="config", help="configuration directory")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--roles", required=True, help="comma-separated: admin,officer,guard,inspector,engineer")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd = user_sub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    user_sub.add_parser("list", help="list users")
    unlock = user_sub.add_parser("unlock", help="lift the sign-in delays after failed logins of a user")
    unlock.add_argument("username")
    user.set_defaults(func=_user)

    _add_integration_commands(sub)
    return parser


def _add_integration_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """An integration or component with a `cli.py` adds its commands (`ecogate ledger verify` ...)."""
    from hub.core.loader import discover

    modules = [
        importlib.import_module(f"{integration.package}.cli")
        for integration in discover().values()
        if (integration.path / "cli.py").is_file()
    ]
    # A module that adds to another's command group (`EXTENDS = ("report",)`) goes after the others.
    for module in sorted(modules, key=lambda m: bool(getattr(m, "EXTENDS", ()))):
        module.add_commands(sub, with_storage)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
