"""HTTPS JSON to a platform (aiohttp): token or HMAC authentication, one POST per batch."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from .auth import Clock, Token, signed_headers
from .encoding import async_encode_body
from .mapping import MISSING, get_path, map_fields
from .profile import Profile
from .transport import AuthError, BatchRejected, Outcome, PushHandler, TransportError, interpret

_LOGGER = logging.getLogger(__name__)
INVALID_STATUSES = (400, 413, 422)  # the request itself is at fault: split it, park what is bad


class HttpTransport:
    def __init__(
        self,
        profile: Profile,
        base_url: str,
        *,
        account: str | None,
        key: str | None,
        secret: str | None,
        now: Clock,
        timeout: float,
        verify_tls: bool = True,
        name: str = "platform",
        plant_code: str = "",
    ) -> None:
        self.profile = profile
        self.base_url = base_url.rstrip("/")
        self.account, self.key, self.secret = account or "", key or "", secret or ""
        self.now = now
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.verify_tls = verify_tls
        self.name = name
        self.token = Token()
        self.plant_code = plant_code
        self._token_lock = asyncio.Lock()
        self.connected = False
        self.on_push: PushHandler | None = None  # HTTP platforms do not push; we pull
        self._session: aiohttp.ClientSession | None = None

    async def async_start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self.verify_tls, limit=4)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)

    async def async_stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.connected = False

    # ----- requests ------------------------------------------------------------------------------
    async def async_send(self, message: str, body: Any, ids: list[str]) -> dict[str, Outcome]:
        spec = self.profile.messages[message]
        status, answer = await self._request("POST", spec.path or "", body, spec.items_field)
        if status in INVALID_STATUSES:
            raise BatchRejected(_message_of(self.profile, answer) or f"HTTP {status}")
        if status != 200:
            raise TransportError(f"HTTP {status}: {_message_of(self.profile, answer)}")
        return interpret(self.profile, answer, ids, single=not spec.batch)

    async def async_fetch(self, message: str, params: Mapping[str, Any]) -> Any:
        """Ask the platform for a message (the control measure): GET with `params`, or POST them as the
        body (`method: POST`); returns the answer's `items_field` part."""
        spec = self.profile.messages[message]
        answer = await self.async_query(message, dict(params))
        value = get_path(answer, spec.items_field)
        return None if value is MISSING else value

    async def async_query(self, message: str, body: dict[str, Any]) -> Any:
        """One question and its whole answer (the vehicle check, the control measure); raises
        TransportError, AuthError or BatchRejected as for a record."""
        spec = self.profile.messages[message]
        if spec.method == "POST":
            status, answer = await self._request("POST", spec.path or "", body)
        else:
            status, answer = await self._request("GET", spec.path or "", None, params=body)
        if status != 200:
            raise TransportError(f"HTTP {status}: {_message_of(self.profile, answer)}")
        interpret(self.profile, answer, [], single=True)  # raises on an error code
        return answer

    async def _request(
        self,
        method: str,
        path: str,
        body: Any,
        items_field: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any]:
        auth = self.profile.auth
        for attempt in (1, 2):
            if auth.kind in ("token", "body_token") and not self.token.usable(
                self.now(), auth.refresh_margin_seconds
            ):
                await self._async_token()
            sent_with = self.token.value
            if auth.kind == "body_token" and isinstance(body, dict):
                body = {**body, auth.body_field: self.token.value or ""}
            payload = b"" if body is None else await async_encode_body(body, items_field)
            headers = {"Content-Type": "application/json; charset=utf-8"}
            headers.update(self._auth_headers(method, path, payload))
            status, answer = await self._exchange(method, path, payload, headers, params)
            if not self._auth_refused(status, answer):
                self.connected = True
                return status, answer
            if self.token.value == sent_with:  # not a newer token another request fetched meanwhile
                self.token.clear()
            if attempt == 2 or auth.kind not in ("token", "body_token"):
                raise AuthError(f"{self.name}: credentials refused: {_message_of(self.profile, answer)}")
            _LOGGER.info("Uplink %s: token refused, fetching a new one", self.name)
        raise AssertionError("unreachable")

    def _auth_refused(self, status: int, answer: Any) -> bool:
        if status == 401:
            return True
        code = get_path(answer, self.profile.response.code_field) if isinstance(answer, Mapping) else None
        return str(code) in {str(c) for c in self.profile.response.auth_codes}

    async def _exchange(
        self,
        method: str,
        path: str,
        payload: bytes,
        headers: dict[str, str],
        params: Mapping[str, Any] | None = None,
    ) -> tuple[int, Any]:
        await self.async_start()
        assert self._session is not None
        try:
            async with self._session.request(
                method, self.base_url + path, data=payload or None, headers=headers,
                params={k: str(v) for k, v in (params or {}).items()} or None,
            ) as response:  # fmt: skip
                text = await response.text(encoding="utf-8", errors="replace")
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            self.connected = False
            raise TransportError(f"{self.name}: {type(err).__name__}: {err}") from None
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            if status == 200:
                self.connected = False
                raise TransportError(f"{self.name}: the answer is not JSON: {text[:200]!r}") from None
            return status, {"message": text[:500]}

    # ----- authentication ------------------------------------------------------------------------
    def _auth_headers(self, method: str, path: str, payload: bytes) -> dict[str, str]:
        auth = self.profile.auth
        if auth.kind == "hmac":
            return signed_headers(auth, self.account, self.secret, method, path, payload, self.now())
        if auth.kind != "token":
            return {}
        value = self.token.value or ""
        return {auth.header: f"{auth.scheme} {value}".strip()}

    async def _async_token(self) -> None:
        """One token request at a time: a vehicle check and the delivery loop share the token."""
        async with self._token_lock:
            if not self.token.usable(self.now(), self.profile.auth.refresh_margin_seconds):
                await self._fetch_token()

    async def _fetch_token(self) -> None:
        auth = self.profile.auth
        if auth.token_body:
            source = {"account": self.account, "key": self.key, "plant": {"code": self.plant_code}}
            request: dict[str, Any] = map_fields(self.profile, auth.token_body, source)
        else:
            request = {auth.account_field: self.account, auth.key_field: self.key}
        body = json.dumps(request, ensure_ascii=False).encode("utf-8")
        status, answer = await self._exchange(
            "POST", auth.token_path, body, {"Content-Type": "application/json; charset=utf-8"}
        )
        token = get_path(answer, auth.token_field) if isinstance(answer, Mapping) else MISSING
        if status != 200 or token in (MISSING, None, ""):
            if status in (401, 403) or status == 200:
                raise AuthError(
                    f"{self.name}: no token for {self.account}: {_message_of(self.profile, answer)}"
                )
            raise TransportError(f"{self.name}: token request failed: HTTP {status}")
        lifetime = get_path(answer, auth.expires_field) if auth.expires_field else MISSING
        seconds = float(lifetime) if isinstance(lifetime, int | float) else auth.default_expires_seconds
        self.token.set(str(token), seconds, self.now())
        _LOGGER.debug("Uplink %s: new token, good for %.0f s", self.name, seconds)


def _message_of(profile: Profile, answer: Any) -> str:
    if isinstance(answer, Mapping):
        value = get_path(answer, profile.response.message_field)
        if value not in (MISSING, None):
            return str(value)
    return str(answer)[:200] if answer is not None else ""
