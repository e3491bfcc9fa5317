"""asyncua's Server, with every connection handled by our GuardedProcessor (gatekeeper.py).

asyncua numbers sessions' authentication tokens 1000, 1001 ... and subscriptions 78, 79 ... afresh at
every start: a client reconnecting after a restart named another client's new session or subscription
(and could take it over, the token being the only proof of a session). Tokens here are random GUIDs,
and subscription ids start at a random number.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from asyncua import Server, ua
from asyncua.server.binary_server_asyncio import BinaryServer, OPCUAProtocol

from .gatekeeper import GuardedProcessor, Rules


class _GuardedProtocol(OPCUAProtocol):
    rules: Rules

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.processor is not None:  # None: refused at max_connections
            self.processor = GuardedProcessor(self.iserver, self.transport, self.limits, self.rules)
            self.processor.set_policies(self.policies)


class _GuardedBinaryServer(BinaryServer):
    rules: Rules

    def _make_protocol(self) -> OPCUAProtocol:
        protocol = _GuardedProtocol(
            iserver=self.iserver, policies=self._policies, clients=self.clients,
            closing_tasks=self.closing_tasks, limits=self.limits,
        )  # fmt: skip
        protocol.rules = self.rules
        return protocol


class GuardedServer(Server):
    """asyncua's Server whose connections go through GuardedProcessor."""

    def __init__(self, rules: Rules, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = rules
        iserver = self.iserver
        numbered_session = iserver.create_session

        def create_session(*args: Any, **kwargs: Any) -> Any:
            session = numbered_session(*args, **kwargs)
            if session.external:  # a secret token, not the next number
                iserver.unregister_external_session(session)
                session.auth_token = ua.NodeId(uuid.uuid4())
                iserver.register_external_session(session)
            return session

        iserver.create_session = create_session  # type: ignore[method-assign]  # asyncua has no hook for it

    async def start(self) -> None:
        # asyncua's Server.start, with our BinaryServer.
        await self._setup_server_nodes()
        await self.iserver.start()
        self.iserver.subscription_service._sub_id_counter = 1000 + secrets.randbelow(2**30)
        try:
            host, port = self._get_bind_socket_info()
            self.bserver = _GuardedBinaryServer(self.iserver, host, port, self.limits)
            self.bserver.rules = self.rules
            self.bserver.set_policies(self._policies)
            await self.bserver.start()
        except Exception:
            await self.iserver.stop()
            raise
