"""The running hub's door for the `ecogate` command on the same machine: a Unix socket in the data
directory (`hub.sock`, mode 0600), taken only by root or the hub's own user (the local administrator).

While a hub runs, it alone writes the database (ownership.py): `ecogate ledger|vehicles|user ...`
then send their work here, and it goes through the same services, roles and audit as any other door,
with the door named `cli`. One connection is one command: it opens with a hello naming the command
and the operating-system user (an audit row `cli.command`), then any number of calls, each answered
before the next is read.

A message is one line of JSON, then the raw bytes of its `blobs` ({"content": size, ...}, in that
order): a file to import is streamed from the command's disk straight into the one buffer the service
reads, and an export's bytes come back the same way, never as base64 inside JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pwd
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .context import Context
from .errors import HubError, ServiceNotFound, ServiceValidationError, Unauthorized

_LOGGER = logging.getLogger(__name__)
SOCKET_FILE = "hub.sock"
DOOR = "cli"
MAX_CALL = 1 << 20  # a call's JSON line: its fields, never a file
MAX_ANSWER = 64 << 20  # an answer's JSON line: an import's report names every refused row
MAX_BLOB = 512 << 20  # an import file; the importer's own limits apply after (README: 256 MiB unzipped)
START_WAIT = 120.0  # a command that arrives while the hub starts waits for it this long
CHUNK = 1 << 20
_ERROR_KINDS: tuple[tuple[type[HubError], str], ...] = (
    (Unauthorized, "unauthorized"),
    (ServiceValidationError, "invalid"),
    (ServiceNotFound, "not_found"),
)


class ProtocolError(HubError):
    """The other side sent something that is not this protocol."""


# ----- the wire: shared by the hub and the command ---------------------------------------------------
def split_blobs(body: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """Take the top-level bytes values out of a mapping: (the rest for JSON, [(key, bytes)])."""
    rest = {k: v for k, v in body.items() if not isinstance(v, bytes | bytearray | memoryview)}
    blobs = [(k, bytes(v)) for k, v in body.items() if isinstance(v, bytes | bytearray | memoryview)]
    return rest, blobs


def encode_header(header: dict[str, Any], limit: int = MAX_CALL) -> bytes:
    line = json.dumps(header, ensure_ascii=False, default=_jsonable).encode("utf-8") + b"\n"
    if len(line) > limit:
        raise ProtocolError(f"a message of {len(line)} bytes; at most {limit} go in one line")
    return line


async def read_message(reader: asyncio.StreamReader) -> tuple[dict[str, Any], dict[str, bytes]] | None:
    """One message: its header and its blobs by key; None at the end of the stream."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as err:
        if not err.partial:
            return None
        raise ProtocolError("the connection ended inside a message") from None
    except asyncio.LimitOverrunError:
        raise ProtocolError("a message line longer than this side reads") from None
    try:
        header = json.loads(line)
    except ValueError as err:
        raise ProtocolError(f"not JSON: {err}") from None
    if not isinstance(header, dict):
        raise ProtocolError("a message is a JSON object")
    blobs: dict[str, bytes] = {}
    sizes = header.pop("blobs", None) or {}
    if not isinstance(sizes, dict):
        raise ProtocolError("blobs: a mapping of key to size")
    for key, size in sizes.items():
        if not isinstance(size, int) or not 0 <= size <= MAX_BLOB:
            raise ProtocolError(f"blob {key!r}: a size from 0 to {MAX_BLOB} bytes")
        try:
            blobs[str(key)] = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise ProtocolError("the connection ended inside a file") from None
    return header, blobs


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raise ProtocolError("bytes below the top level of a message cannot be sent")
    return str(value)


@contextlib.contextmanager
def socket_address(data_dir: Path) -> Iterator[str]:
    """The socket's path to bind or connect to; through /proc when the real one is longer than a socket
    address may be (108 bytes). Only binding and connecting read it: the directory is held open
    meanwhile, and the socket keeps working after it is closed."""
    path = str(data_dir / SOCKET_FILE)
    if len(path.encode()) < 100:
        yield path
        return
    fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{SOCKET_FILE}"
    finally:
        os.close(fd)


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a Unix socket (Linux SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, gid = struct.unpack("3i", raw)
    return pid, uid, gid


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


# ----- the hub's side --------------------------------------------------------------------------------
class ControlServer:
    """Listens on the data directory's socket while the hub runs."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.path = hub.data_dir / SOCKET_FILE
        self._server: asyncio.base_events.Server | None = None
        self._running = asyncio.Event()
        self._connections: set[asyncio.Task[Any]] = set()

    async def async_start(self) -> None:
        """Bind the socket (the hub holds the data directory's lock, so a socket file there is stale)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            with socket_address(self.hub.data_dir) as address:
                sock.bind(address)
            os.chmod(self.path, 0o600)  # before listen: nobody can connect in between
            self._server = await asyncio.start_unix_server(self._async_serve, sock=sock, limit=MAX_CALL + 1)
        except BaseException:
            sock.close()
            raise

    def set_running(self) -> None:
        self._running.set()

    async def async_stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=5)
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _async_serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._async_conversation(reader, writer)
        except (ProtocolError, ConnectionError) as err:
            _LOGGER.warning("Command-line connection dropped: %s", err)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _async_conversation(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pid, uid, _ = peer_credentials(writer.get_extra_info("socket"))
        hello = await read_message(reader)  # read first, so that a refused command hears why
        if hello is None:
            return
        if uid not in (0, os.getuid()):  # the file's mode already says so; a second look costs nothing
            _LOGGER.warning("Command-line connection of uid %s (pid %s) refused", uid, pid)
            await _send(writer, {"ok": False, "kind": "unauthorized", "error": _refusal(uid)})
            return
        try:
            async with asyncio.timeout(START_WAIT):
                await self._running.wait()
        except TimeoutError:
            await _send(writer, {"ok": False, "kind": "error", "error": "the hub did not finish starting"})
            return
        context = Context()  # every call of this command shares it: the audit rows name one chain
        command = str(hello[0].get("command") or "")[:300]
        who = user_name(uid)
        _LOGGER.info("Command line: %s (user %s, pid %s)", command, who, pid)
        await async_record_command(self.hub, context, command, who, uid, pid)
        await _send(writer, {"ok": True, "hub": self.hub.core_config.name})
        while (message := await read_message(reader)) is not None:
            header, blobs = message
            await _send(writer, *await self._async_call(header, blobs, context))

    async def _async_call(
        self, header: dict[str, Any], blobs: dict[str, bytes], context: Context
    ) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        data = header.get("data") or {}
        if not isinstance(data, dict):
            return {"ok": False, "kind": "invalid", "error": "data: a JSON object"}, []
        data.update(blobs)
        try:
            result = await async_call_as_cli(
                self.hub, str(header.get("domain")), str(header.get("service")), data, context
            )
        except HubError as err:
            kind = next((k for cls, k in _ERROR_KINDS if isinstance(err, cls)), "error")
            return {"ok": False, "kind": kind, "error": str(err)}, []
        except Exception as err:  # the service's own failure: the command gets the reason, the hub goes on
            _LOGGER.exception("Command-line call %s.%s failed", header.get("domain"), header.get("service"))
            return {"ok": False, "kind": "error", "error": f"{type(err).__name__}: {err}"}, []
        if isinstance(result, dict):
            rest, out = split_blobs(result)
            return {"ok": True, "result": rest}, out
        return {"ok": True, "result": result}, []


async def async_call_as_cli(
    hub: Any, domain: str, service: str, data: dict[str, Any], context: Context
) -> Any:
    """A service call of the local administrator: any role, but never a service that is the hub's own
    (`internal`, such as `ledger.record_passage`): a person at the command line is still a person."""
    if hub.services.get(domain, service).internal:
        raise Unauthorized(f"{domain}.{service} is the hub's own, not a person's to call")
    return await hub.services.async_call(domain, service, data, context, door=DOOR)


async def async_record_command(
    hub: Any, context: Context, command: str, who: str, uid: int, pid: int
) -> None:
    """The audit row that names the person behind a command's calls (they share `context`)."""
    if not hub.services.has_service("ledger", "record_audit"):
        return
    detail = {"command": command, "os_user": who, "uid": uid, "pid": pid, "context_id": context.id}
    await hub.services.async_call(
        "ledger", "record_audit",
        {"action": "cli.command", "door": DOOR, "outcome": "ok", "target": who, "detail": detail},
        Context(parent_id=context.id),
    )  # fmt: skip


async def _send(
    writer: asyncio.StreamWriter, header: dict[str, Any], blobs: list[tuple[str, bytes]] | None = None
) -> None:
    blobs = blobs or []
    try:
        whole = {**header, "blobs": {k: len(v) for k, v in blobs}} if blobs else header
        line = encode_header(whole, MAX_ANSWER)
    except ProtocolError as err:
        line, blobs = encode_header({"ok": False, "kind": "error", "error": str(err)}), []
    writer.write(line)
    for _, blob in blobs:
        view = memoryview(blob)
        for start in range(0, len(view), CHUNK):
            writer.write(view[start : start + CHUNK])
            await writer.drain()
    await writer.drain()


def _refusal(uid: int) -> str:
    return (
        f"只有本机管理员可以 only root or the hub's own user may command the hub here (you are "
        f"{user_name(uid)}); sign in to the HMI or the REST API instead"
    )
