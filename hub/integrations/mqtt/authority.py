"""Who a command over MQTT comes from, and whether the hub believes it (pure, no I/O).

MQTT itself tells a subscriber nothing about who published a message. The broker does vouch for it
when it authenticates its clients and an ACL lets each account write only under its own branch
(`<base>/command/%u/#`): a message on `<base>/command/scada/...` then came from the account `scada`.
A broker that lets anyone in vouches for no one, so by default the hub takes no command over it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import MqttConfig
from .probe import NOT_CHECKED, BrokerVerdict


@dataclass(frozen=True, slots=True)
class Sender:
    """The broker account a command came from (None on the shared topic) and the hub user it acts as;
    `vouched` when the broker authenticated it (on an allowed open broker the account is only claimed)."""

    account: str | None
    hub_user: str
    vouched: bool


class CommandRefused(Exception):
    """Not taken; `audit` when a known sender was refused (not when anyone at all could have sent it)."""

    def __init__(self, reason: str, *, audit: bool, key: str) -> None:
        super().__init__(reason)
        self.audit = audit
        self.key = key  # for the throttled log: one line for a flood of the same refusal


class CommandAuthority:
    def __init__(self, conf: MqttConfig) -> None:
        self._conf = conf
        self.verdict: BrokerVerdict = NOT_CHECKED

    @property
    def takes_commands(self) -> bool:
        return self.verdict.authenticates or (self.verdict.open and self._conf.allow_open_broker)

    def sender(self, account: str | None) -> Sender:
        """The sender of a command on an account's topic (or the shared one); CommandRefused if none."""
        conf, verdict = self._conf, self.verdict
        if verdict.kind == "unknown":
            raise CommandRefused(
                f"the broker's authentication is not known ({verdict.detail})", audit=False, key="unknown"
            )
        if verdict.open and not conf.allow_open_broker:
            raise CommandRefused(
                "the broker lets anyone in, so no sender is known; give each client its own broker account "
                "(docs/mqtt-broker.md) or set allow_open_broker", audit=False, key="open",
            )  # fmt: skip
        if account is None:
            if verdict.authenticates:
                raise CommandRefused(
                    f"the shared command topic names no sender; an account sends on "
                    f"{conf.base_topic}/command/<account>/<entity_id>", audit=False, key="shared",
                )  # fmt: skip
            if not conf.command_user:
                raise CommandRefused("no command_user is configured for MQTT", audit=True, key="no user")
            return Sender(None, conf.command_user, vouched=False)
        hub_user = conf.command_accounts.get(account)
        if hub_user is None:
            raise CommandRefused(
                f"broker account {account!r} is not in command_accounts", audit=True, key=f"account {account}"
            )
        return Sender(account, hub_user, vouched=verdict.authenticates)
