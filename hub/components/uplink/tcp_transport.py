"""A persistent TCP connection to a platform: one UTF-8 JSON object per line, a login first, heartbeats
while idle, replies matched to requests by message number, and messages the platform pushes (its control
measure) answered and handed to the link."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any

from .auth import Clock
from .encoding import async_encode_body, dumps
from .profile import Profile
from .transport import AuthError, Outcome, PushHandler, TransportError, interpret

_LOGGER = logging.getLogger(__name__)
RECONNECT_MAX_S = 30.0


class TcpTransport:
    def __init__(
        self,
        profile: Profile,
        host: str,
        port: int,
        *,
        account: str | None,
        key: str | None,
        plant_code: str,
        now: Clock,
        timeout: float,
        name: str = "platform",
    ) -> None:
        self.profile = profile
        self.tcp = profile.tcp
        self.host, self.port = host, port
        self.account, self.key, self.plant_code = account or "", key or "", plant_code
        self.now = now
        self.timeout = min(timeout, self.tcp.reply_timeout_seconds)
        self.name = name
        self.connected = False
        self.on_push: PushHandler | None = None
        self.on_state: Callable[[], None] | None = None  # told when the connection comes or goes
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._ready = asyncio.Event()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_error: str | None = None
        self._by_type = {spec.type: name for name, spec in profile.messages.items() if spec.type}

    async def async_start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"uplink tcp {self.name}")

    async def async_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._drop("stopped")

    # ----- requests ------------------------------------------------------------------------------
    async def async_send(self, message: str, body: Any, ids: list[str]) -> dict[str, Outcome]:
        spec = self.profile.messages[message]
        await self._await_ready()
        path = ".".join(p for p in (self.tcp.data_field, spec.items_field) if p)
        reply = await self._request({self.tcp.type_field: spec.type, self.tcp.data_field: body}, path)
        return interpret(self.profile, reply, ids, single=not spec.batch)

    async def async_fetch(self, message: str, params: Mapping[str, Any]) -> Any:
        return None  # a TCP platform pushes its control measure; nothing to pull

    async def _await_ready(self) -> None:
        await self.async_start()
        if self._ready.is_set():
            return
        self._kick.set()
        try:
            await asyncio.wait_for(self._ready.wait(), self.timeout)
        except TimeoutError:
            raise TransportError(f"{self.name}: not connected ({self._last_error or 'connecting'})") from None

    async def _request(self, message: dict[str, Any], items_path: str = "") -> dict[str, Any]:
        writer = self._writer
        if writer is None:
            raise TransportError(f"{self.name}: not connected")
        msg_id = next(self._ids)
        message[self.tcp.msg_id_field] = msg_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        try:
            await self._write(writer, message, items_path)
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            # No answer: the connection is not to be trusted any more (half-open, platform stuck).
            self._close_writer(f"no reply to message {msg_id} within {self.timeout:.0f} s")
            raise TransportError(f"{self.name}: no reply within {self.timeout:.0f} s") from None
        finally:
            self._pending.pop(msg_id, None)

    async def _write(
        self, writer: asyncio.StreamWriter, message: Mapping[str, Any], items_path: str = ""
    ) -> None:
        line = await async_encode_body(message, items_path) if items_path else dumps(message).encode("utf-8")
        try:
            writer.write(line + b"\n")
            await writer.drain()
        except (OSError, RuntimeError) as err:
            self._close_writer(str(err))
            raise TransportError(f"{self.name}: write failed: {err}") from None

    # ----- the connection ------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._connect_once()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as err:  # whatever ended the connection, reconnect after a pause
                if str(err) != self._last_error:
                    _LOGGER.warning("Uplink %s: TCP connection: %s", self.name, err)
                self._last_error = str(err)
            finally:
                self._drop(self._last_error or "connection closed")
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _connect_once(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=self.tcp.max_line_bytes), self.timeout
        )
        self._writer = writer
        reading = asyncio.get_running_loop().create_task(self._read_loop(reader))
        try:
            fields = self.tcp.login_fields
            login = {
                self.tcp.type_field: self.tcp.login,
                fields.get("account", "account"): self.account,
                fields.get("key", "password"): self.key,
                fields.get("plant", "plantCode"): self.plant_code,
            }
            interpret(self.profile, await self._request(login), [], single=True)
            self._last_error = None
            self._set_connected(True)
            self._ready.set()
            _LOGGER.info("Uplink %s: TCP connected to %s:%s", self.name, self.host, self.port)
            beating = asyncio.get_running_loop().create_task(self._heartbeats())
            try:
                done, _ = await asyncio.wait({reading, beating}, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # raises what ended it
            finally:
                beating.cancel()
                await asyncio.gather(beating, return_exceptions=True)
        except AuthError as err:
            raise TransportError(f"login refused: {err}") from None
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)

    async def _heartbeats(self) -> None:
        while True:
            # Real time, not the hub's clock: the platform drops a connection idle for real seconds.
            await asyncio.sleep(self.tcp.heartbeat_seconds)
            reply = await self._request({self.tcp.type_field: self.tcp.heartbeat, "time": int(self.now())})
            interpret(self.profile, reply, [], single=True)

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except (OSError, ValueError) as err:  # ValueError: a line longer than the limit
                raise TransportError(f"read failed: {err}") from None
            if not line:
                raise TransportError("the platform closed the connection")
            try:
                message = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                _LOGGER.warning("Uplink %s: ignoring a garbled line: %r", self.name, line[:200])
                continue
            if not isinstance(message, dict):
                continue
            kind = message.get(self.tcp.type_field)
            msg_id = message.get(self.tcp.msg_id_field)
            if kind == self.tcp.ack:
                future = self._pending.get(msg_id) if isinstance(msg_id, int) else None
                if future is not None and not future.done():
                    future.set_result(message)
                continue
            asyncio.get_running_loop().create_task(self._on_push(str(kind), msg_id, message))

    async def _on_push(self, kind: str, msg_id: Any, message: dict[str, Any]) -> None:
        spec = self.profile.response
        ok, code, text = spec.ok_codes[0], spec.ok_codes[0], "ok"
        name = self._by_type.get(kind)
        try:
            if name is None or self.on_push is None:
                code, text = (spec.retry_codes or [ok])[0], f"unknown message {kind}"
            else:
                data = message.get(self.tcp.data_field)
                await self.on_push(name, data if isinstance(data, dict) else {})
        except Exception as err:  # a bad push is answered, logged, and never ends the connection
            _LOGGER.warning("Uplink %s: pushed %s not applied: %s", self.name, kind, err)
            code, text = (spec.retry_codes or [ok])[0], str(err)[:200]
        writer = self._writer
        if writer is not None:
            with contextlib.suppress(TransportError):
                await self._write(writer, {self.tcp.type_field: self.tcp.ack, self.tcp.msg_id_field: msg_id,
                                           spec.code_field: code, spec.message_field: text})  # fmt: skip

    def _close_writer(self, reason: str) -> None:
        self._last_error = reason
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        self._ready.clear()
        self._set_connected(False)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            if self.on_state is not None:
                self.on_state()

    def _drop(self, reason: str) -> None:
        self._close_writer(reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(TransportError(f"{self.name}: {reason}"))
        self._pending.clear()
