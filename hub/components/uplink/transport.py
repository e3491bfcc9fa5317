"""What every transport does, and how a platform's answer reads (shared by HTTP and TCP)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .const import ACCEPTED, RETRY
from .mapping import MISSING, get_path

UNCONFIRMED = "unconfirmed"  # sent, but the answer does not say (an acknowledgement lost): send again


class TransportError(Exception):
    """The platform could not be reached or did not answer usefully: try again later."""


class Unconfirmed(TransportError):
    """The platform answered but confirmed none of the records: that stream alone tries again later."""


class AuthError(TransportError):
    """The platform refused our credentials even with a fresh token."""


class BatchRejected(Exception):
    """The platform refused the whole request as invalid (not the network, not the credentials)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # accepted, rejected, duplicate, retry, unconfirmed
    message: str = ""
    local: bool = False  # refused here (could not be mapped), not by the platform


PushHandler = Callable[[str, Mapping[str, Any]], Awaitable[Mapping[str, Any] | None]]


class Transport(Protocol):
    connected: bool
    on_push: PushHandler | None

    async def async_start(self) -> None: ...

    async def async_stop(self) -> None: ...

    async def async_send(self, message: str, body: Any, ids: list[str]) -> dict[str, Outcome]: ...

    async def async_fetch(self, message: str, params: Mapping[str, Any]) -> Any: ...


def _same(value: Any, choices: list[Any]) -> bool:
    return str(value) in {str(c) for c in choices}


def interpret(profile: Any, body: Any, ids: list[str], *, single: bool) -> dict[str, Outcome]:
    """The platform's answer -> one outcome per record id. Raises AuthError, TransportError (busy) or
    BatchRejected (the request as a whole is invalid)."""
    spec = profile.response
    if not isinstance(body, Mapping):
        raise TransportError(f"the answer is not a JSON object: {str(body)[:200]!r}")
    code = get_path(body, spec.code_field)
    message = get_path(body, spec.message_field)
    message = "" if message is MISSING or message is None else str(message)
    if code is MISSING:
        raise TransportError(f"the answer has no {spec.code_field}: {str(body)[:200]!r}")
    if _same(code, spec.auth_codes):
        raise AuthError(f"credentials refused ({code}): {message}")
    if _same(code, spec.retry_codes):
        raise TransportError(f"platform busy ({code}): {message}")
    if not _same(code, spec.ok_codes):
        raise BatchRejected(f"{code}: {message}" if message else str(code))
    outcomes: dict[str, Outcome] = {}
    results = get_path(body, spec.results_field)
    if isinstance(results, list):
        for result in results:
            if not isinstance(result, Mapping):
                continue
            rid = get_path(result, spec.id_field)
            status = get_path(result, spec.status_field)
            text = get_path(result, spec.result_message_field)
            ours = spec.statuses.get(str(status), RETRY) if status is not MISSING else RETRY
            outcomes[str(rid)] = Outcome(ours, "" if text in (MISSING, None) else str(text))
    for rid in ids:
        if rid not in outcomes:
            # A single message answered "ok" without per-record results is taken; in a batch, a
            # record the answer does not mention was not confirmed.
            # A platform that answers with a code only (per_record: false) took the whole request.
            taken = single or not spec.per_record
            outcomes[rid] = Outcome(ACCEPTED, message) if taken else Outcome(UNCONFIRMED, message)
    return {rid: outcomes[rid] for rid in ids}
