"""Authentication with a platform: a token fetched with account + key (refreshed before it expires and
whenever the platform says it is no longer good), or each request signed with a shared secret (HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .profile import AuthSpec


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 over METHOD, PATH, TIMESTAMP, NONCE and the body's SHA-256, one per line, in hex."""
    text = "\n".join((method.upper(), path, timestamp, nonce, body_digest(body)))
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_headers(
    spec: AuthSpec, account: str, secret: str, method: str, path: str, body: bytes, now: float
) -> dict[str, str]:
    timestamp, nonce = str(int(now)), secrets.token_hex(8)
    return {
        spec.account_header: account,
        spec.timestamp_header: timestamp,
        spec.nonce_header: nonce,
        spec.signature_header: signature(secret, method, path, timestamp, nonce, body),
    }


@dataclass
class Token:
    """The token in hand and when it stops being good (epoch seconds, by the hub's clock)."""

    value: str | None = None
    expires_at: float = 0.0
    lifetime: float = 0.0

    def usable(self, now: float, margin: float) -> bool:
        # A margin as long as the platform's tokens live would make every request fetch a new one:
        # then the token is renewed half-way through its life.
        return self.value is not None and now < self.expires_at - min(margin, self.lifetime / 2)

    def set(self, value: str, lifetime: float, now: float) -> None:
        self.value, self.expires_at, self.lifetime = value, now + lifetime, lifetime

    def clear(self) -> None:
        self.value, self.expires_at, self.lifetime = None, 0.0, 0.0


Clock = Callable[[], float]
