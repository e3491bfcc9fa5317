"""The command door: a command off the broker becomes a hub service call, or a logged refusal.

Who sent it is the authority's question (authority.py); this runs the call as the hub user the
sender maps to, with door "mqtt", so roles and audit apply as for the HMI, and writes the audit rows
the service registry cannot: a refusal before any service saw the command, and the broker account
behind a command that ran. A command on an account's branch is answered on `<base>/reply/<account>/
<entity_id>` (not retained): `{"call", "outcome": ok | requested | refused | error, "error",
"context_id"}`, and for a release an officer must approve first (ui/release.py) `request_id` and
`message` ("release requested, awaiting approval").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hub.core import Context, Hub, HubError, ServiceNotFound, Unauthorized
from hub.core.auth import User

from .authority import CommandAuthority, CommandRefused, Sender
from .commands import BadCommand, CommandTarget, ServiceRequest, parse_command
from .ingest import ThrottledLog

_LOGGER = logging.getLogger(__name__)
Reply = Callable[[str, str, dict[str, Any]], None]  # (broker account, entity id, answer)


class CommandDoor:
    def __init__(
        self, hub: Hub, authority: CommandAuthority, bad: ThrottledLog,
        target_of: Callable[[str], CommandTarget | None], reply: Reply,
    ) -> None:  # fmt: skip
        self.hub = hub
        self.authority = authority
        self._bad = bad
        self._target_of = target_of
        self._reply = reply

    def on_command(
        self, topic: str, account: str | None, entity_id: str, payload: bytes, retained: bool
    ) -> None:
        if retained:
            # A retained command would act again on every reconnect: never obey one.
            self._bad.warning(f"command {entity_id}", "MQTT: retained command on %s ignored", topic)
            return
        sender: Sender | CommandRefused
        try:
            sender = self.authority.sender(account)
        except CommandRefused as err:
            if not err.audit:  # anyone could have sent it: a log line, not an audit row per message
                self._bad.warning(f"refused {err.key}", "MQTT: command on %s ignored: %s", topic, err)
                return
            sender = err  # a known sender refused: audited once the request is known
        target = self._target_of(entity_id)
        if target is None:
            self._bad.warning(
                f"command {entity_id}", "MQTT: %s takes no commands; %s ignored", entity_id, topic
            )
            return
        try:
            request = parse_command(target, payload)
        except BadCommand as err:
            self._bad.warning(f"command {entity_id}", "MQTT: command on %s ignored: %s", topic, err)
            return
        self.hub.async_create_task(
            self._async_command(topic, account, entity_id, request, sender),
            name=f"mqtt command {entity_id}",
        )

    def _recorded(self, request: ServiceRequest, who: str) -> ServiceRequest:
        """A barrier opened from afar is a vehicle let in: where the plant runs the policy, the opening
        goes through `policy.open_barrier`, which records it in the ledger before the arm moves."""
        if (request.domain, request.service) != ("barrier", "open"):
            return request
        if not self.hub.services.has_service("policy", "open_barrier"):
            return request
        return ServiceRequest("policy", "open_barrier", {**request.data, "reason": f"MQTT 远程开闸 {who}"})

    def _hub_user(self, sender: Sender) -> User:
        user = self.hub.auth.by_name(sender.hub_user)
        if user is None or not user.active:
            raise CommandRefused(
                f"hub user {sender.hub_user!r} is not an active hub user", audit=True, key="user"
            )
        return user

    async def _async_command(
        self, topic: str, account: str | None, entity_id: str, request: ServiceRequest,
        sender: Sender | CommandRefused,
    ) -> None:  # fmt: skip
        request = self._recorded(request, account or getattr(sender, "hub_user", None) or "?")
        action = f"{request.domain}.{request.service}"
        try:
            if isinstance(sender, CommandRefused):
                raise sender
            user = self._hub_user(sender)
        except CommandRefused as err:
            self._bad.warning(
                f"refused {err.key}", "MQTT command %s for %s refused: %s", action, entity_id, err
            )
            detail: dict[str, Any] = {
                "data": request.data, "reason": str(err), "broker_user": account, "topic": topic,
            }  # fmt: skip
            await self._async_audit(action, "refused", entity_id, detail)
            if account is not None:
                self._reply(account, entity_id, {"call": action, "outcome": "refused", "error": str(err)})
            return
        context = Context(user_id=user.id)
        outcome, error, result = "error", None, None
        try:
            result = await self.hub.services.async_call(
                request.domain, request.service, request.data, context, door="mqtt"
            )
        except Unauthorized as err:
            outcome, error = "refused", str(err)
            _LOGGER.warning("MQTT command %s for %s refused: %s", action, entity_id, err)
        except ServiceNotFound:
            error = "no such service here (not configured?)"
            _LOGGER.warning("MQTT command %s for %s: %s", action, entity_id, error)
        except HubError as err:
            error = str(err)
            _LOGGER.warning("MQTT command %s for %s failed: %s", action, entity_id, err)
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
            _LOGGER.exception("MQTT command %s for %s failed", action, entity_id)
        else:
            outcome = "ok"
            _LOGGER.info("MQTT command %s for %s done as %s (broker account %s)", action, entity_id,
                         user.username, account)  # fmt: skip
        if account is not None:
            # The service's own audit row names the hub user; this one names the broker account that
            # sent the command, tied to that row by the context id.
            detail = {"broker_user": account, "vouched_by_broker": sender.vouched, "hub_user": user.username,
                      "call": action, "data": request.data, "topic": topic, "context_id": context.id,
                      "error": error}  # fmt: skip
            await self._async_audit("mqtt.command", outcome, entity_id, detail)
            answer: dict[str, Any] = {"call": action, "outcome": outcome, "error": error,
                                      "context_id": context.id}  # fmt: skip
            if isinstance(result, dict) and result.get("requested"):
                # Nothing moved: on this lane an officer approves a guard's release (ui/release.py).
                answer.update(outcome="requested", request_id=result.get("request_id"),
                              message=result.get("message"))  # fmt: skip
            self._reply(account, entity_id, answer)

    async def _async_audit(self, action: str, outcome: str, target: str, detail: dict[str, Any]) -> None:
        """A row the service registry cannot write: a refusal before any service saw the command, or
        the broker account behind a command."""
        if not self.hub.services.has_service("ledger", "record_audit"):
            return
        audit = {
            "action": action[:64],
            "door": "mqtt",
            "outcome": outcome,
            "target": target[:128],
            "detail": detail,
        }
        try:
            await self.hub.services.async_call("ledger", "record_audit", audit)
        except Exception as err:  # the command's fate stands whether or not the audit row could be written
            _LOGGER.warning("Could not audit an MQTT command: %s", err)
