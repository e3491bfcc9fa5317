"""OPC UA sign-ins in the audit log with where they came from, and never a password on an unsecured channel.

The hub's user manager (security.py) checks the credentials; this one adds the connection's facts that
the gatekeeper leaves for the request (address, security mode and policy, certificate thumbprint,
application URI) to every `user_login` event, which the ledger's audit chain records.
"""

from __future__ import annotations

import logging
from typing import Any

from asyncua.crypto.permission_rules import User

from hub.core import Context
from hub.core.const import EVENT_USER_LOGIN
from hub.core.events import UserLoginData

from .gatekeeper import Peer, current_peer
from .security import MAX_CREDENTIAL_LENGTH, HubUserManager

_LOGGER = logging.getLogger(__name__)


class AuditedUserManager(HubUserManager):
    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        peer = current_peer()
        if username is not None and peer is not None and peer.security_mode == "None":
            # Only `allow_none_policy: true` lets a session this far on a None channel: the password
            # crossed the network in clear text, so it is not even checked.
            self._fire(str(username).strip()[:MAX_CREDENTIAL_LENGTH], None, "refused", "password")
            return None
        user = super().get_user(iserver, username, password, certificate)
        if username is None and user is not None:
            self._fire("", None, "ok", "anonymous")
        return user

    def _fire(self, username: str, user_id: str | None, outcome: str, method: str) -> None:
        peer = current_peer()
        login = UserLoginData(
            username=username, user_id=user_id, door="opcua", outcome=outcome, method=method, remote=None
        )
        if peer is not None:
            login.update(peer.audit())
        if outcome != "ok":
            _LOGGER.warning("OPC UA login %s for %r (%s) from %s", outcome, username, method, login["remote"])
        self.hub.bus.async_fire(EVENT_USER_LOGIN, login, Context(user_id=user_id))

    def refused_early(self, peer: Peer, method: str, request: str) -> None:
        """A sign-in refused before the user manager is asked: a session on an unsecured channel
        (method `security_policy_none`), an identity token of a kind not offered (`anonymous` ...)."""
        _LOGGER.warning("OPC UA login refused (%s) from %s", method, peer.address)
        login = UserLoginData(
            username="", user_id=None, door="opcua", outcome="refused", method=method, request=request,
            **peer.audit(),
        )  # fmt: skip
        self.hub.bus.async_fire(EVENT_USER_LOGIN, login)
