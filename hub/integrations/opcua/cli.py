"""`ecogate opcua trust|reject|list`: the OPC UA server's trust list of client certificates.

A running hub reads the list again when a certificate it does not hold yet connects, so a client trusted
here gets in at its next attempt, without a restart.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

HELP = "OPC UA client certificates: trust, reject, list"


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], with_storage: Callable[..., int]
) -> None:
    parser = subparsers.add_parser("opcua", help=HELP, description=HELP)
    sub = parser.add_subparsers(dest="opcua_command", required=True)
    trust = sub.add_parser("trust", help="trust a rejected certificate (by thumbprint) or a certificate file")
    trust.add_argument("certificate", metavar="THUMBPRINT|FILE")
    reject = sub.add_parser("reject", help="take a certificate off the trusted list")
    reject.add_argument("certificate", metavar="THUMBPRINT|FILE")
    listing = sub.add_parser("list", help="list trusted, issuer and rejected certificates")
    nodeset = sub.add_parser("nodeset", help="write the information model as a NodeSet2 XML file")
    nodeset.add_argument("--out", metavar="FILE", help="the file to write (default: standard output)")
    for command in (trust, reject, listing, nodeset):
        command.add_argument("-c", "--config", default="config", help="configuration directory")
    parser.set_defaults(func=lambda args: _dispatch(args, with_storage))


def _dispatch(args: argparse.Namespace, with_storage: Callable[..., int]) -> int:
    if args.opcua_command == "nodeset":
        return _nodeset(args)
    # The trust list is a folder of certificate files that a running hub reads again by itself: the
    # command edits it beside the hub (no database, so no need to own the data directory).
    from hub.core import ConfigError, HubError
    from hub.core.config import load_configuration

    certificate = getattr(args, "certificate", None)
    if certificate is not None and Path(certificate).is_file():
        args.certificate = str(Path(certificate).resolve())  # relative to where the command was given
    config_dir = Path(args.config).resolve()
    try:
        core, _ = load_configuration(config_dir)
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    try:
        return _job((config_dir / core.data_dir).resolve(), args)
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _nodeset(args: argparse.Namespace) -> int:
    """The model with the configured lanes; only the configuration is read, so it works beside a hub."""
    import asyncio

    from hub.core import ConfigError
    from hub.core.config import load_configuration

    from .nodeset import async_nodeset

    try:
        _, config = load_configuration(Path(args.config).resolve())
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    from .server import VERSION

    xml = asyncio.run(async_nodeset(config, VERSION))
    if args.out:
        Path(args.out).write_text(xml, encoding="utf-8")
        print(f"written: {args.out}")
    else:
        sys.stdout.write(xml)
    return 0


def _job(data_dir: Path, args: argparse.Namespace) -> int:
    from hub.core import HubError

    from .const import DOMAIN
    from .trust import TrustList

    trust_list = TrustList(data_dir / DOMAIN / "pki")
    trust_list.prepare()
    if args.opcua_command == "list":
        for state, info, path in trust_list.entries():
            print(f"{state}\t{info.thumbprint}\t{info.subject}\t{info.application_uri or '-'}\t"
                  f"valid to {info.not_after}\t{path.name}")  # fmt: skip
        return 0
    action = trust_list.trust if args.opcua_command == "trust" else trust_list.reject
    try:
        info = action(args.certificate)
    except LookupError as err:
        raise HubError(str(err)) from err
    verb = "trusted" if args.opcua_command == "trust" else "rejected"
    print(f"{verb}: {info.thumbprint} {info.subject} ({info.application_uri or 'no application URI'})")
    return 0
