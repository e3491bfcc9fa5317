"""How an `ecogate` command reaches a plant's data: through the running hub, or on its own when none runs.

`run_command` opens the plant's storage with the data directory's lock (ownership.py). If a hub holds
the lock, the command talks to it through its control socket (control.py) instead; if another command
holds it, the command stops with the reason. Either way the job gets a door whose `call` runs a
service with the door named `cli`, so a command does exactly what the same service does from the HMI,
with the same checks and audit, and a running hub sees the change at once.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO

from .config import NodeDict
from .context import Context
from .control import (
    CHUNK,
    MAX_ANSWER,
    ProtocolError,
    async_call_as_cli,
    encode_header,
    read_message,
    socket_address,
    split_blobs,
)
from .errors import ConfigError, HubError, ServiceValidationError
from .ownership import KIND_CLI, DataDirBusy

CONNECT_WAIT = 30.0  # a hub that holds the lock but is still opening its database gets this long
CALL_TIMEOUT = 3600.0  # a verify of two years of photos takes a while; a dead hub ends the connection


class CallRefused(HubError):
    """The hub answered a call with a refusal or an error; `kind` says which (invalid, unauthorized...)."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind


class LocalDoor:
    """No hub runs: this process holds the lock and calls the services of its own partial hub."""

    remote = False

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.config: NodeDict = hub.config
        self.tz: tzinfo = hub.clock.tz
        self.context = Context()

    async def async_hello(self, command: str) -> None:
        from .control import async_record_command

        await async_record_command(self.hub, self.context, command, _os_user(), os.getuid(), os.getpid())

    async def call(
        self, domain: str, service: str, data: dict[str, Any] | None = None, *,
        upload: Path | None = None, field: str = "content",
    ) -> Any:  # fmt: skip
        body = dict(data or {})
        if upload is not None:
            body[field] = await self.hub.async_add_executor_job(upload.read_bytes)
        return await async_call_as_cli(self.hub, domain, service, body, self.context)

    async def async_close(self) -> None:
        await self.hub.async_block_till_done()  # the audit rows of this command are written
        await self.hub.async_stop()


class RemoteDoor:
    """A hub runs: calls travel over its control socket."""

    remote = True

    def __init__(self, hub: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.config: NodeDict = hub.config  # as this process read it: the same files the hub read
        self.tz: tzinfo = hub.clock.tz
        self._reader, self._writer = reader, writer

    @classmethod
    async def async_connect(cls, hub: Any) -> RemoteDoor:
        """Connect to the hub that owns `hub.data_dir` (`hub`: this process's unopened Hub)."""
        async with asyncio.timeout(CONNECT_WAIT):
            while True:
                try:
                    with socket_address(hub.data_dir) as address:
                        reader, writer = await asyncio.open_unix_connection(address, limit=MAX_ANSWER + 1)
                    return cls(hub, reader, writer)
                except (FileNotFoundError, ConnectionRefusedError):
                    await asyncio.sleep(0.2)  # the hub is between taking the lock and listening

    async def async_hello(self, command: str) -> None:
        self._writer.write(encode_header({"command": command}))
        await self._answer()

    async def call(
        self, domain: str, service: str, data: dict[str, Any] | None = None, *,
        upload: Path | None = None, field: str = "content",
    ) -> Any:  # fmt: skip
        rest, blobs = split_blobs(dict(data or {}))
        header: dict[str, Any] = {"domain": domain, "service": service, "data": rest}
        sizes = {k: len(v) for k, v in blobs}
        file = await asyncio.to_thread(upload.open, "rb") if upload is not None else None
        try:
            if file is not None:
                sizes[field] = os.fstat(file.fileno()).st_size
            if sizes:
                header["blobs"] = sizes
            self._writer.write(encode_header(header))
            for _, blob in blobs:
                self._writer.write(blob)
            if file is not None:
                await self._async_stream(file, sizes[field])
        finally:
            if file is not None:
                file.close()
        answer = await self._answer()
        result = answer.get("result")
        if isinstance(result, dict):
            result.update(answer.get("_blobs") or {})
        return result

    async def _async_stream(self, file: BinaryIO, size: int) -> None:
        """The file goes over in chunks: this process never holds it whole."""
        sent = 0
        while sent < size:
            chunk = await asyncio.to_thread(file.read, min(CHUNK, size - sent))
            if not chunk:
                raise HubError(f"{file.name} shrank while it was being sent")
            self._writer.write(chunk)
            await self._writer.drain()
            sent += len(chunk)

    async def _answer(self) -> dict[str, Any]:
        await self._writer.drain()
        async with asyncio.timeout(CALL_TIMEOUT):
            message = await read_message(self._reader)
        if message is None:
            raise HubError("the hub closed the connection (it may have stopped)")
        header, blobs = message
        if not header.get("ok"):
            raise CallRefused(str(header.get("kind") or "error"), str(header.get("error") or "refused"))
        header["_blobs"] = blobs
        return header

    async def async_close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass


Door = LocalDoor | RemoteDoor


def run_command(
    config_dir: str | Path,
    job: Callable[[Door], Awaitable[int]],
    *,
    setup: Iterable[str] = (),
    command: str | None = None,
    alone: bool = False,
) -> int:
    """Run `job(door)` against the plant in `config_dir`; returns the exit code.

    `setup`: the components this process sets up for itself when no hub runs (their services are
    what the job calls). `alone`: work that must not run beside a hub (it is refused then). Exit
    codes: 0 done, 1 refused or failed, 2 bad input or configuration.
    """
    from .hub import Hub

    text = command or " ".join(["ecogate", *sys.argv[1:]])

    async def main() -> int:
        hub = Hub(config_dir)
        door: Door
        try:
            await hub.async_open_storage(setup=tuple(setup))
            door = LocalDoor(hub)
        except ConfigError as err:
            print(f"configuration error:\n{err}", file=sys.stderr)
            return 2
        except DataDirBusy as busy:
            if alone or (busy.holder is not None and busy.holder.kind == KIND_CLI):
                print(f"error: {busy}", file=sys.stderr)
                return 1
            try:
                door = await RemoteDoor.async_connect(hub)
            except (TimeoutError, OSError) as err:
                print(f"error: {busy}; its control socket does not answer ({err!r})", file=sys.stderr)
                return 1
        try:
            await door.async_hello(text)
            return await job(door)
        except (ServiceValidationError, ProtocolError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except CallRefused as err:
            print(f"error: {err}", file=sys.stderr)
            return 2 if err.kind == "invalid" else 1
        except HubError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        finally:
            await door.async_close()

    return asyncio.run(main())


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
