"""The platform simulator's network faces: HTTP (aiohttp) for HTTP profiles, a line-JSON TCP server for
TCP profiles, and a small control API (/sim/...) to watch it and to make it misbehave."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from ..auth import signature
from ..mapping import FieldRule, check_record, get_path, map_fields, set_path
from ..profile import Profile
from .core import QUERIES, TOKEN, SimCore

_LOGGER = logging.getLogger(__name__)


class PlatformSimulator(SimCore):
    """A supervisory platform speaking one profile (the default one unless told otherwise)."""

    def __init__(
        self,
        profile: Profile,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        account: str = "demo",
        key: str = "demo-key",
        secret: str = "demo-secret",
        token_seconds: int = 7200,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(profile, account=account, key=key, secret=secret, token_seconds=token_seconds,
                         clock=clock)  # fmt: skip
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self._tcp: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._push_ids = itertools.count(900_000)
        self._nonces: set[str] = set()

    @property
    def url(self) -> str:
        scheme = "tcp" if self.profile.transport == "tcp" else "http"
        return f"{scheme}://{self.host}:{self.port}"

    async def async_start(self) -> int:
        if self.profile.transport == "tcp":
            self._tcp = await asyncio.start_server(
                self._on_connection, self.host, self.port, limit=self.profile.tcp.max_line_bytes,
                reuse_address=True,
            )  # fmt: skip
            self.port = self._tcp.sockets[0].getsockname()[1]
        else:
            self._runner = web.AppRunner(self._app(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
            await site.start()
            self.port = self._runner.addresses[0][1]
        self.faults.down = False
        _LOGGER.info("Platform simulator (%s) listening on %s", self.profile.name, self.url)
        return self.port

    async def async_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()
            with contextlib.suppress(Exception):
                await self._tcp.wait_closed()
            self._tcp = None

    async def async_go_down(self) -> None:
        """Stop listening and drop every connection, as a platform that is down."""
        await self.async_stop()
        self.faults.down = True

    async def async_come_back(self) -> None:
        await self.async_start()

    # ----- faults, as Python calls (the control API sets the same) -------------------------------
    def set_slow(self, seconds: float) -> None:
        self.faults.slow_seconds = seconds

    def fail_next(self, count: int, status: int = 500) -> None:
        self.faults.fail_next, self.faults.fail_status = count, status

    def drop_acks(self, count: int) -> None:
        self.faults.drop_acks = count

    def reject(self, *, ids: list[str] | None = None, plates: list[str] | None = None) -> None:
        self.faults.reject_ids |= set(ids or [])
        self.faults.reject_plates |= set(plates or [])

    async def async_push_control(self, measure: dict[str, Any]) -> int:
        """Set the current control measure (our names: id, level, response_level, measure_code, measure,
        start, end); HTTP platforms serve it on their control path, TCP ones push it now. Returns the
        number of connections it was pushed to."""
        spec = self.profile.messages["control"]
        outbound = {rule.src: {"from": ours, "code": rule.code, "format": rule.format}
                    for ours, rule in spec.fields.items() if rule.src}  # fmt: skip
        self.control = map_fields(self.profile, _rules(outbound), measure)
        if self.profile.transport != "tcp":
            return 0
        tcp = self.profile.tcp
        sent = 0
        for writer in list(self._writers):
            message = {tcp.type_field: spec.type, tcp.msg_id_field: next(self._push_ids),
                       tcp.data_field: self.control}  # fmt: skip
            with contextlib.suppress(OSError, RuntimeError):
                writer.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))
                await writer.drain()
                sent += 1
        return sent

    # ----- HTTP ----------------------------------------------------------------------------------
    def _app(self) -> web.Application:
        """One route per method and path; messages that share a path (the transportControl family's
        get_data / put_data) are told apart by their envelope's constants (`ipctype`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        auth = self.profile.auth
        routes: dict[tuple[str, str], list[str]] = {}
        if auth.kind in ("token", "body_token"):
            routes.setdefault(("POST", auth.token_path), []).append(TOKEN)
        for name, spec in self.profile.messages.items():
            method = spec.method or ("GET" if name == "control" else "POST")
            if spec.path:
                routes.setdefault((method, spec.path), []).append(name)
        table = [web.route(method, path, self._dispatcher(method, names))
                 for (method, path), names in routes.items()]  # fmt: skip
        table += [
            web.get("/sim/state", self._sim_state),
            web.get("/sim/received", self._sim_received),
            web.post("/sim/faults", self._sim_faults),
            web.post("/sim/control", self._sim_control),
            web.post("/sim/reset", self._sim_reset),
            web.post("/sim/vehicles", self._sim_vehicles),
        ]
        app.add_routes(table)
        return app

    def _json(self, body: Any, status: int = 200) -> web.Response:
        return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))

    def _verb_of(self, name: str) -> dict[str, Any]:
        if name == TOKEN:
            rules = self.profile.auth.token_body
            return {field: rule.value for field, rule in rules.items() if rule.src is None}
        return self.profile.messages[name].verb

    def _pick(self, names: list[str], body: Any) -> str | None:
        if len(names) == 1:
            return names[0]
        for name in names:
            verb = self._verb_of(name)
            if verb and isinstance(body, dict) and all(get_path(body, k) == v for k, v in verb.items()):
                return name
        # No verb tells them apart (cargo and weight records on one path): the one whose fields fit.
        for name in names:
            items = self.items_of(name, body) if name != TOKEN and not self._verb_of(name) else None
            if items and not check_record(self.profile, self.profile.messages[name].fields, items[0]):
                return name
        return None

    def _dispatcher(
        self, method: str, names: list[str]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.in_flight += 1
            self.notify()
            try:
                return await self._handle(method, names, request)
            finally:
                self.in_flight -= 1

        return handle

    async def _handle(self, method: str, names: list[str], request: web.Request) -> web.StreamResponse:
        try:
            raw = await request.read()
        except ConnectionResetError:  # the client gave up (a hub stopping mid-request)
            return web.Response(status=499)
        body: Any = None
        if method == "POST":
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return self._json(self.invalid("请求不是 UTF-8 JSON not UTF-8 JSON"), 400)
        name = self._pick(names, body)
        if name is None:
            return self._json(self.invalid(f"未知接口类型 unknown verb for {request.path}"), 400)
        if name == TOKEN:
            return self._token(body)
        if name == "vehicle_check" and self.faults.check_delay_seconds:
            await asyncio.sleep(self.faults.check_delay_seconds)
        elif self.faults.slow_seconds:
            await asyncio.sleep(self.faults.slow_seconds)
        query = name in QUERIES or method == "GET"
        if self.faults.fail_next > 0 and not query:
            self.faults.fail_next -= 1
            return self._json(self.busy(), self.faults.fail_status)
        if not self._authorised(request, raw, body):
            self.auth_failures += 1
            return self._json(self.auth_failed(), 401)
        if query:
            return self._json(self.query(name, body if method == "POST" else dict(request.query)))
        items = self.items_of(name, body)
        if items is None:
            return self._json(self.invalid(f"缺少 {self.profile.messages[name].items_field}"), 400)
        results = self.process(name, items)
        if self.faults.drop_acks > 0:
            self.faults.drop_acks -= 1
            if request.transport is not None:
                request.transport.close()  # processed, but the answer never arrives
            return web.Response(status=500)
        return self._json(self.verdict(results))

    def _token(self, body: Any) -> web.Response:
        auth = self.profile.auth
        if not isinstance(body, dict):
            return self._json(self.invalid("请求不是 JSON 对象 not a JSON object"), 400)
        if auth.token_body:
            wanted = {rule.src: field for field, rule in auth.token_body.items() if rule.src}
            account, key = get_path(body, wanted.get("account", "")), get_path(body, wanted.get("key", ""))
        else:
            account, key = body.get(auth.account_field), body.get(auth.key_field)
        granted = self.issue_token(account, key)
        if granted is None:
            return self._json(self.auth_failed("账号或密钥错误 wrong account or key"), 401)
        answer = self.ok()
        set_path(answer, auth.token_field, granted[0])
        if auth.expires_field:
            set_path(answer, auth.expires_field, granted[1])
        elif "." in auth.token_field:  # the family's answer also says when it was issued
            issued = datetime.fromtimestamp(self.clock(), self.profile.tz).strftime(self.profile.time_format)
            set_path(answer, auth.token_field.rsplit(".", 1)[0] + ".datetime", issued)
        return self._json(answer)

    def _authorised(self, request: web.Request, raw: bytes, body: Any = None) -> bool:
        auth = self.profile.auth
        if auth.kind == "token":
            header = request.headers.get(auth.header, "")
            token = header[len(auth.scheme) :].strip() if auth.scheme else header.strip()
            return self.token_ok(token)
        if auth.kind == "body_token":
            given = get_path(body, auth.body_field) if isinstance(body, dict) else None
            return isinstance(given, str) and self.token_ok(given)
        if auth.kind == "hmac":
            h = request.headers
            stamp, nonce = h.get(auth.timestamp_header, ""), h.get(auth.nonce_header, "")
            if h.get(auth.account_header) != self.account or not stamp.isdigit():
                return False
            if abs(self.clock() - int(stamp)) > auth.max_skew_seconds or nonce in self._nonces:
                return False
            expected = signature(self.secret, request.method, request.path, stamp, nonce, raw)
            if not hmac.compare_digest(expected, h.get(auth.signature_header, "")):
                return False
            self._nonces.add(nonce)
            return True
        return True

    async def _sim_state(self, request: web.Request) -> web.Response:
        return self._json(self.summary())

    async def _sim_received(self, request: web.Request) -> web.Response:
        message = request.query.get("message", "passage")
        limit = int(request.query.get("limit", "100"))
        ids = self.ids(message)[-limit:]
        return self._json({"message": message, "total": len(self.received.get(message, {})),
                           "records": [self.received[message][rid] for rid in ids]})  # fmt: skip

    async def _sim_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        faults = self.faults
        faults.slow_seconds = float(body.get("slow_seconds", faults.slow_seconds))
        if "fail_next" in body:
            self.fail_next(int(body["fail_next"]), int(body.get("fail_status", 500)))
        faults.drop_acks = int(body.get("drop_acks", faults.drop_acks))
        faults.check_delay_seconds = float(body.get("check_delay_seconds", faults.check_delay_seconds))
        self.reject(ids=body.get("reject_ids"), plates=body.get("reject_plates"))
        if body.get("clear_rejects"):
            faults.reject_ids.clear()
            faults.reject_plates.clear()
        if body.get("expire_tokens"):
            self.expire_tokens()
        if float(body.get("down_seconds", 0)) > 0:
            asyncio.get_running_loop().create_task(self._down_for(float(body["down_seconds"])))
        return self._json(faults.as_dict())

    async def _down_for(self, seconds: float) -> None:
        await asyncio.sleep(0.05)  # let the answer to the control call go out first
        await self.async_go_down()
        await asyncio.sleep(seconds)
        await self.async_come_back()

    async def _sim_control(self, request: web.Request) -> web.Response:
        body = await request.json()
        pushed = await self.async_push_control(body)
        return self._json({"control": self.control, "pushed": pushed})

    async def _sim_vehicles(self, request: web.Request) -> web.Response:
        """The platform's own register for its vehicle check: {plate: {verdict, reason, emission_stage,
        fuel, vin, fleet, serial}}; merged into what it holds."""
        body = await request.json()
        if not isinstance(body, dict):
            return self._json(self.invalid("须为 {plate: {...}} a mapping of plates"), 400)
        self.vehicles.update({str(k): dict(v) for k, v in body.items() if isinstance(v, dict)})
        return self._json({"vehicles": len(self.vehicles)})

    async def _sim_reset(self, request: web.Request) -> web.Response:
        self.received.clear()
        self.arrivals.clear()
        self.duplicates.clear()
        self.rejections.clear()
        return self._json(self.summary())

    # ----- TCP -----------------------------------------------------------------------------------
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tcp = self.profile.tcp
        self._writers.add(writer)
        logged_in = False
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                try:
                    message = json.loads(line.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    continue
                kind, msg_id = message.get(tcp.type_field), message.get(tcp.msg_id_field)
                if kind == tcp.ack:
                    self.control_acks += 1
                    continue
                if self.faults.slow_seconds:
                    await asyncio.sleep(self.faults.slow_seconds)
                reply = self._tcp_reply(kind, message, logged_in)
                if (
                    kind == tcp.login
                    and get_path(reply, self.profile.response.code_field) in self.profile.response.ok_codes
                ):
                    logged_in = True
                if reply is None:
                    continue  # an acknowledgement dropped on purpose
                reply = {tcp.type_field: tcp.ack, tcp.msg_id_field: msg_id, **reply}
                writer.write((json.dumps(reply, ensure_ascii=False) + "\n").encode("utf-8"))
                await writer.drain()
        except (OSError, ValueError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _tcp_reply(self, kind: Any, message: dict[str, Any], logged_in: bool) -> dict[str, Any] | None:
        tcp = self.profile.tcp
        if kind == tcp.login:
            fields = tcp.login_fields
            account, key = (
                message.get(fields.get("account", "account")),
                message.get(fields.get("key", "password")),
            )
            return self.ok() if account == self.account and key == self.key else self.auth_failed("登录失败")
        if not logged_in:
            return self.auth_failed("未登录 not logged in")
        if kind == tcp.heartbeat:
            self.heartbeats += 1
            self.notify()
            return self.ok()
        if self.faults.fail_next > 0:
            self.faults.fail_next -= 1
            return self.busy()
        names = {spec.type: name for name, spec in self.profile.messages.items()}
        name = names.get(kind)
        if name is None or name == "control":
            return self.invalid(f"未知消息 unknown message {kind}")
        items = self.items_of(name, message.get(tcp.data_field) if tcp.data_field else message)
        if items is None:
            return self.invalid("缺少数据 no data")
        results = self.process(name, items)
        if self.faults.drop_acks > 0:
            self.faults.drop_acks -= 1
            return None
        return self.ok(results)


def _rules(raw: dict[str, dict[str, Any]]) -> dict[str, FieldRule]:
    return {name: FieldRule.model_validate({k: v for k, v in rule.items() if v is not None})
            for name, rule in raw.items()}  # fmt: skip
