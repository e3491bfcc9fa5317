"""OPC UA: a server for the plant's SCADA/MES/HMI, and a client for tags of existing OPC UA servers.

Server (asyncua), namespace `urn:ecogate:hub`: an `EcoGate` object with a `GateType` object per gate
and a `LaneType` object per lane (plate, decision, camera, barrier, weight, display; types.py), a
`Plant` object (alert level, today's counts, upload backlog), `GatePassageEventType` events for every
recorded passage up the notifier chain (events.py), alarms & conditions (alarms.py), history from the
ledger (history.py), `ecogate opcua nodeset` (nodeset.py), and the methods OpenBarrier, CloseBarrier,
SpecialRelease, CorrectPlate, ConfirmRead and SetAlertLevel, which call the hub's services as the
signed-in user. Users are the hub's users; anonymous access is off unless
configured; Basic256Sha256 Sign and SignAndEncrypt with a certificate made on first start under
`<data_dir>/opcua/`, clients' certificates from the trust list `<data_dir>/opcua/pki/` (`ecogate opcua
trust`); an unsecured (None) channel is answered discovery only (gatekeeper.py, docs/opcua.md).

Client: `clients:` lists plant servers and their tags: `sensor.<key>` / `binary_sensor.<key>` read,
`switch`, `number`, `text`, `button` and `cover` also written (`switch.turn_on`, `cover.open_cover` ...),
each write confirmed by reading the tag back.
"""

from __future__ import annotations

import logging

from hub.core import Hub

from .client import TagClient
from .config import OpcUaConfig
from .const import DOMAIN
from .server import OpcUaServer

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = OpcUaConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "OpcUaServer", "async_setup"]


class OpcUaIntegration:
    def __init__(self, hub: Hub, config: OpcUaConfig) -> None:
        self.hub = hub
        self.config = config
        self.server = OpcUaServer(hub, config) if config.server else None
        self.clients = [TagClient(hub, conf) for conf in config.clients]

    @property
    def endpoint(self) -> str | None:
        return self.server.endpoint if self.server else None


async def async_setup(hub: Hub, config: OpcUaConfig) -> bool:
    # asyncua logs every request at INFO (with method arguments); the hub's log wants its warnings.
    library_log = logging.getLogger("asyncua")
    if library_log.level == logging.NOTSET:
        library_log.setLevel(logging.WARNING)
    integration = OpcUaIntegration(hub, config)
    hub.data[DOMAIN] = integration
    if integration.server is not None:
        try:
            await integration.server.async_start()
        except OSError as err:
            # Port taken, address not on this machine: the rest of the hub runs without the server.
            _LOGGER.error("OPC UA server cannot listen on %s:%s: %s", config.host, config.port, err)
            await integration.server.async_stop()
            return False
        hub.async_on_stop(integration.server.async_stop)
    for client in integration.clients:
        await hub.entities.async_add(DOMAIN, client.entities)
        client.register_services()
        hub.async_create_background_task(client.async_run(), name=f"opcua client {client.conf.name}")
    return True
