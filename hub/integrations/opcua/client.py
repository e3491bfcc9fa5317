"""Tags of existing plant OPC UA servers (PLC, SCADA) as entities: sensors and binary sensors read,
switches, numbers, texts, buttons and covers also written.

One task per server: connect, subscribe to every configured tag, wait until the connection is lost
(asyncua's watchdog probes it), mark the tags unavailable, then reconnect with doubling waits. A write
is given the tag's own data type (read once per tag), then read back: it is confirmed only if the
server gives back what was written, else the caller gets an error naming both values.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from functools import partial
from typing import Any

from asyncua import Client, Node, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from hub.core import DeviceInfo, Hub, HubError
from hub.core.writable import async_register_entity_services

from .binary_sensor import ServerConnected, TagBinarySensor
from .button import TagButton
from .certs import ensure_certificate
from .config import ClientConfig, parse_node_id
from .const import BACKOFF_FIRST, BACKOFF_MAX, CERT_DAYS, DOMAIN
from .cover import TagCover
from .entity import TagEntity, WritableTag
from .number import TagNumber
from .sensor import TagSensor
from .switch import TagSwitch, same
from .text import TagText

_LOGGER = logging.getLogger(__name__)
CLOSE_TIMEOUT = 2.0
WRITABLE: dict[str, type[WritableTag]] = {
    "switch": TagSwitch, "number": TagNumber, "text": TagText, "button": TagButton, "cover": TagCover,
}  # fmt: skip
_CONVERT: dict[ua.VariantType, Any] = {
    ua.VariantType.Boolean: bool, ua.VariantType.String: str,
    ua.VariantType.Float: float, ua.VariantType.Double: float,
    **{getattr(ua.VariantType, t): lambda v: round(float(v)) for t in (
        "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64")},
}  # fmt: skip


class _Handler:
    """asyncua subscription callbacks (called in the loop) -> entity updates."""

    def __init__(self, entities: dict[ua.NodeId, TagEntity]) -> None:
        self.entities = entities

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        entity = self.entities.get(node.nodeid)
        if entity is None:
            return
        value: ua.DataValue = data.monitored_item.Value
        status = value.StatusCode.name if value.StatusCode is not None else "Good"
        entity.async_update(val, status, value.SourceTimestamp)

    def status_change_notification(self, status: Any) -> None:
        _LOGGER.info("OPC UA subscription status: %s", status)


class TagClient:
    def __init__(self, hub: Hub, conf: ClientConfig) -> None:
        self.hub = hub
        self.conf = conf
        self.device = DeviceInfo(
            identifier=f"opcua:{conf.name}",
            name=f"OPC UA {conf.name}",
            model="OPC UA server",
            model_key="opcua_server",
        )
        self.tags: list[TagEntity] = []
        for t in conf.tags:
            if t.platform in WRITABLE:
                self.tags.append(WRITABLE[t.platform](t, self.device, conf.name, self.async_write))
            else:
                kind = TagBinarySensor if t.platform == "binary_sensor" else TagSensor
                self.tags.append(kind(t, self.device, conf.name))
        self.connected = ServerConnected(conf.name, conf.url, self.device)
        self._client: Client | None = None
        self._namespaces: dict[str, int] = {}
        self._types: dict[ua.NodeId, ua.VariantType] = {}
        self._write_lock = asyncio.Lock()

    def register_services(self) -> None:
        for domain in sorted({t.tag.platform for t in self.tags if t.tag.platform in WRITABLE}):
            async_register_entity_services(self.hub, domain)

    @property
    def entities(self) -> list[Any]:
        return [self.connected, *self.tags]

    async def async_run(self) -> None:
        delay = BACKOFF_FIRST
        logged_error: str | None = None
        while True:
            lost = asyncio.Event()
            reason = "connection lost"
            try:
                client = await self._async_connect(lost)
                await self._async_subscribe(client)
                self.connected.async_set(True)
                _LOGGER.info("OPC UA client %s: connected to %s", self.conf.name, self.conf.url)
                delay, logged_error = BACKOFF_FIRST, None
                await lost.wait()
            except asyncio.CancelledError:
                await self._async_close()
                raise
            except Exception as err:
                reason = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            if reason != logged_error:  # one line per kind of trouble, not one per retry
                _LOGGER.warning("OPC UA client %s (%s): %s", self.conf.name, self.conf.url, reason)
                logged_error = reason
            self.connected.async_set(False, reason)
            for tag in self.tags:
                tag.async_lost()
            await self._async_close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def _async_connect(self, lost: asyncio.Event) -> Client:
        conf = self.conf
        client = Client(conf.url, timeout=conf.timeout, watchdog_intervall=conf.watchdog_seconds)
        client.name = client.description = f"EcoGate Hub ({conf.name})"
        client.application_uri = f"urn:ecogate:hub:client:{conf.name}"
        client.session_timeout = 600_000  # what asyncua servers grant; asking more only logs a warning
        if conf.username is not None:
            client.set_user(conf.username)
            client.set_password(conf.password or "")
        if conf.security != "none":
            cert, key, _ = await self.hub.async_add_executor_job(
                partial(
                    ensure_certificate, self.hub.data_dir / DOMAIN, f"client_{conf.name}_cert.der",
                    f"client_{conf.name}_key.pem", app_uri=client.application_uri,
                    common_name=client.name, hostnames=[socket.gethostname()], server=False, days=CERT_DAYS,
                )
            )  # fmt: skip
            mode = (
                ua.MessageSecurityMode.SignAndEncrypt
                if conf.security == "sign_and_encrypt"
                else ua.MessageSecurityMode.Sign
            )
            await asyncio.wait_for(
                client.set_security(SecurityPolicyBasic256Sha256, str(cert), str(key), mode=mode),
                conf.timeout,
            )

        async def on_lost(exc: Exception) -> None:
            lost.set()

        client.connection_lost_callback = on_lost
        self._client = client
        await asyncio.wait_for(client.connect(), conf.timeout * 2)
        return client

    async def _async_subscribe(self, client: Client) -> None:
        by_node: dict[ua.NodeId, TagEntity] = {}
        nodes: list[Node] = []
        self._namespaces.clear()
        self._types.clear()
        for tag in self.tags:
            try:
                node_id = await self._async_resolve(client, tag.tag.node_id)
            except ValueError as err:
                _LOGGER.error("OPC UA client %s: %s: %s", self.conf.name, tag.tag.key, err)
                tag.async_lost("BadNodeIdUnknown")
                continue
            by_node[node_id] = tag
            nodes.append(client.get_node(node_id))
        if not nodes:
            return
        subscription = await client.create_subscription(
            self.conf.publishing_interval * 1000, _Handler(by_node)
        )
        results = await subscription.subscribe_data_change(nodes)
        for node, result in zip(nodes, results, strict=True):
            if isinstance(result, ua.StatusCode):
                tag = by_node[node.nodeid]
                _LOGGER.error(
                    "OPC UA client %s: tag %s (%s): %s",
                    self.conf.name,
                    tag.tag.key,
                    tag.tag.node_id,
                    result.name,
                )
                tag.async_lost(result.name)

    async def _async_resolve(self, client: Client, text: str) -> ua.NodeId:
        node_id = parse_node_id(text)
        uri = getattr(node_id, "NamespaceUri", None)
        if not uri:
            return node_id
        if uri not in self._namespaces:
            try:
                self._namespaces[uri] = await client.get_namespace_index(uri)
            except ValueError:
                raise ValueError(f"no namespace {uri}") from None
        return ua.NodeId(node_id.Identifier, self._namespaces[uri], node_id.NodeIdType)

    async def async_write(self, node_text: str, value: Any) -> Any:
        """Write `value` to the tag in the tag's own type, read it back; HubError unless confirmed."""
        client = self._client
        if client is None or not self.connected.connected:
            raise HubError(f"OPC UA server {self.conf.name} is not connected: {node_text} not written")
        async with self._write_lock:  # one write at a time per server: read-backs see their own write
            try:
                async with asyncio.timeout(self.conf.timeout):
                    node = client.get_node(await self._async_resolve(client, node_text))
                    vtype = self._types.get(node.nodeid)
                    if vtype is None:
                        vtype = self._types[node.nodeid] = await node.read_data_type_as_variant_type()
                    typed = _CONVERT.get(vtype, lambda v: v)(value)
                    await node.write_value(ua.DataValue(ua.Variant(typed, vtype)))
                    back = await node.read_value()
            except (ua.UaStatusCodeError, ValueError, TypeError, TimeoutError, OSError) as err:
                raise HubError(
                    f"OPC UA {self.conf.name}: writing {value!r} to {node_text} failed: {err}"
                ) from err
        if not same(back, typed):
            raise HubError(
                f"OPC UA {self.conf.name}: wrote {typed!r} to {node_text}, reads back {back!r}: not confirmed"
            )
        _LOGGER.info("OPC UA client %s: %s = %r (confirmed)", self.conf.name, node_text, typed)
        return back

    async def _async_close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await asyncio.wait_for(client.disconnect(), CLOSE_TIMEOUT)
        except (Exception, TimeoutError):  # the server may be gone: nothing to say goodbye to
            client.disconnect_socket()
