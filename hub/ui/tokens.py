"""Signed session cookies and API tokens, and a revocation list for log-out.

A token is `base64url(json payload) . base64url(HMAC-SHA256)`, signed with the plant's session secret,
so sessions survive a hub restart (a control-room screen stays signed in) and nothing is stored per
session; logging out puts the session id on a revocation list kept until the token would have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from hub.util.files import write_atomic

from .const import REVOKED_FILE, SECRET_FILE


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    session_id: str
    kind: str  # "session" (browser cookie) or "token" (REST clients)
    expires: float  # epoch seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def issue(self, user_id: str, kind: str, expires: float) -> tuple[str, TokenClaims]:
        claims = TokenClaims(user_id, secrets.token_urlsafe(12), kind, round(expires))
        payload = json.dumps(
            {"u": claims.user_id, "s": claims.session_id, "k": kind, "e": claims.expires},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}", claims

    def verify(self, token: str, now: float) -> TokenClaims | None:
        """The claims of a well-signed, unexpired token, else None."""
        try:
            payload_text, signature_text = token.split(".")
            payload, signature = _unb64(payload_text), _unb64(signature_text)
        except (ValueError, binascii.Error):
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = json.loads(payload)
            claims = TokenClaims(str(data["u"]), str(data["s"]), str(data["k"]), float(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return claims if claims.expires > now else None

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def load_or_create_secret(data_dir: Path) -> str:
    """The secret kept in the data directory (readable by the hub's user only); blocking."""
    path = data_dir / SECRET_FILE
    if path.is_file():
        secret = path.read_text(encoding="utf-8").strip()
        if len(secret) >= 32:
            return secret
    secret = secrets.token_hex(32)
    write_atomic(path, (secret + "\n").encode("utf-8"), mode=0o600)
    return secret


class RevokedSessions:
    """Session ids logged out before they expired: id -> expiry. Kept in a small JSON file."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / REVOKED_FILE
        self._revoked: dict[str, float] = {}

    def load(self, now: float) -> None:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            self._revoked = {str(k): float(v) for k, v in raw.items() if float(v) > now}
        except (OSError, ValueError, AttributeError):
            self._revoked = {}

    def __contains__(self, session_id: str) -> bool:
        return session_id in self._revoked

    def add(self, claims: TokenClaims, now: float) -> dict[str, float]:
        """Revoke; returns the list to save (expired entries dropped)."""
        self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._revoked[claims.session_id] = claims.expires
        return dict(self._revoked)

    def save(self, snapshot: dict[str, float]) -> None:
        write_atomic(self._path, json.dumps(snapshot).encode("utf-8"))
