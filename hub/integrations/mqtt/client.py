"""The only module that imports paho-mqtt: one broker connection, driven by the hub's event loop.

paho's socket hooks hand its socket to the loop (add_reader/add_writer), so every paho callback
(connect, message, disconnect) runs in the loop like any other hub code and nothing is shared with a
network thread. Only the blocking part of a (re)connect (DNS, TCP, TLS handshake) runs in an executor;
the socket hooks it triggers there are passed to the loop with call_soon_threadsafe. Reconnects are
ours: doubling waits from reconnect_min_seconds to reconnect_max_seconds, for as long as the hub runs.
MQTT 5, because only its retain-as-published subscription option lets the hub see that a command
arriving live was published retained (MQTT 3.1.1 clears the flag on live delivery).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from hub.core import Hub

from .config import MqttConfig
from .const import MAX_READS_PER_WAKEUP, MISC_INTERVAL, OFFLINE, STOP_TIMEOUT

_LOGGER = logging.getLogger(__name__)


class PublishRefused(Exception):
    """paho did not take the message (queue full, not connected for QoS 0)."""


class BrokerConnection:
    def __init__(
        self,
        hub: Hub,
        conf: MqttConfig,
        *,
        will_topic: str,
        on_connected: Callable[[], None],
        on_disconnected: Callable[[str], None],
        on_message: Callable[[str, bytes, bool], None],
        on_status: Callable[[], None],
    ) -> None:
        self._hub = hub
        self._conf = conf
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_message = on_message
        self._on_status = on_status  # `connected` or `last_error` changed
        self.where = f"{conf.host}:{conf.port}"
        self._will_topic = will_topic
        self.connected = False
        self.last_error: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._fd: int | None = None
        self._stopping = False
        self._link_down = asyncio.Event()
        self._got_connack = False
        self._in_callback = False
        client_id = conf.client_id or f"{conf.node_id}-{uuid.uuid4().hex[:8]}"
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.suppress_exceptions = True  # a bug in a callback is logged, never breaks the link
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.max_queued_messages_set(conf.max_queued_messages)
        client.max_inflight_messages_set(100)  # QoS 1 on a LAN: a wider window than paho's 20
        client.will_set(will_topic, OFFLINE, qos=1, retain=True)
        if conf.username is not None:
            client.username_pw_set(conf.username, conf.password)
        client.on_connect = self._paho_connect
        client.on_disconnect = self._paho_disconnect
        client.on_message = self._paho_message
        client.on_socket_open = lambda c, u, sock: self._in_loop(self._socket_open, sock)
        client.on_socket_close = lambda c, u, sock: self._in_loop(self._socket_close)
        client.on_socket_register_write = lambda c, u, sock: self._in_loop(self._want_write, True)
        client.on_socket_unregister_write = lambda c, u, sock: self._in_loop(self._want_write, False)
        self._client = client

    async def async_start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        if self._conf.tls is not None:
            await self._hub.async_add_executor_job(self._set_tls)  # reads certificate files
        # A clean start on every connect, as MQTT 3.1.1's clean session: nothing is kept between links.
        self._client.connect_async(self._conf.host, self._conf.port, self._conf.keepalive, clean_start=True)
        self._hub.async_create_background_task(self._async_keep_connected(), name=f"mqtt {self.where}")
        self._hub.async_create_background_task(self._async_misc(), name=f"mqtt keepalive {self.where}")

    def _set_tls(self) -> None:
        tls = self._conf.tls
        assert tls is not None

        def path(value: str | None) -> str | None:
            return str(self._hub.config_dir / value) if value and not Path(value).is_absolute() else value

        self._client.tls_set(
            ca_certs=path(tls.ca_certs), certfile=path(tls.certfile), keyfile=path(tls.keyfile),
            cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )  # fmt: skip
        self._client.tls_insecure_set(tls.insecure)

    # ----- publishing and subscribing (in the loop) ---------------------------------------------
    def publish(self, topic: str, payload: str | bytes, qos: int, retain: bool = False) -> None:
        """Hand a message to paho, while connected only: a reconnect runs in an executor thread, and
        a message queued meanwhile could reach the broker before CONNECT. QoS 1 messages in flight
        when the link drops are sent again by paho after the next CONNACK."""
        if not self.connected:
            raise PublishRefused("not connected")
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise PublishRefused(paho.error_string(info.rc))
        # Write now rather than when the loop next polls: a busy loop would add milliseconds. The
        # socket is non-blocking; what does not fit is left to the writer callback. Not from inside a
        # paho callback: paho holds a lock there that a failed write would take again (deadlock).
        if not self._in_callback:
            self._client.loop_write()

    def subscribe(self, topics: list[tuple[str, int]], *, retain_as_published: bool = False) -> None:
        """With retain_as_published the broker keeps the publisher's retain flag on live delivery."""
        if topics:
            options = [(t, SubscribeOptions(qos=q, retainAsPublished=retain_as_published)) for t, q in topics]
            result, _mid = self._client.subscribe(options)
            if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
                _LOGGER.warning("MQTT %s: subscribing failed: %s", self.where, paho.error_string(result))

    # ----- the connection's life ----------------------------------------------------------------
    async def _async_keep_connected(self) -> None:
        conf = self._conf
        delay = conf.reconnect_min_seconds
        failures = 0
        while not self._stopping:
            self._link_down.clear()
            self._got_connack = False
            try:
                await self._hub.async_add_executor_job(self._client.reconnect)
            except Exception as err:  # whatever went wrong, the hub keeps trying
                self._note_failure(f"{type(err).__name__}: {err}", failures, delay)
                failures += 1
            else:
                await self._link_down.wait()
                if self._got_connack:
                    delay, failures = conf.reconnect_min_seconds, 0
                else:
                    failures += 1
            if self._stopping:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, conf.reconnect_max_seconds)

    def _note_failure(self, error: str, failures: int, delay: float) -> None:
        self.last_error = error
        self._on_status()
        if failures == 0:
            _LOGGER.warning(
                "MQTT broker %s not reachable (%s); retrying, waits doubling from %.1f s to %.0f s",
                self.where, error, delay, self._conf.reconnect_max_seconds,
            )  # fmt: skip
        else:
            _LOGGER.debug("MQTT broker %s still not reachable: %s", self.where, error)

    async def _async_misc(self) -> None:
        while True:
            await asyncio.sleep(MISC_INTERVAL)
            self._client.loop_misc()  # pings the broker; drops a link that stopped answering

    async def async_stop(self) -> None:
        """Say `offline` (retained) and disconnect cleanly, so the broker does not send the will too."""
        self._stopping = True
        if self.connected:
            self._client.publish(self._will_topic, OFFLINE, qos=1, retain=True)
            self._client.disconnect()
            try:
                async with asyncio.timeout(STOP_TIMEOUT):
                    await self._link_down.wait()
            except TimeoutError:
                _LOGGER.warning("MQTT %s: no clean disconnect within %s s", self.where, STOP_TIMEOUT)
        self._socket_close()
        self._link_down.set()

    # ----- paho callbacks (all run in the loop) -------------------------------------------------
    def _paho_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._in_callback = True
        try:
            self._connected(reason)
        finally:
            self._in_callback = False

    def _connected(self, reason: Any) -> None:
        if reason.is_failure:
            error = f"broker refused the connection: {reason}"
            # Said once; the retries that follow (same answer) only at debug level.
            log = _LOGGER.debug if error == self.last_error else _LOGGER.error
            log("MQTT broker %s refused the connection: %s", self.where, reason)
            self.last_error = error
            self._on_status()
            return
        self._got_connack = True
        self.connected = True
        self.last_error = None
        _LOGGER.info("Connected to MQTT broker %s", self.where)
        self._on_connected()
        self._on_status()

    def _paho_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        was_connected, self.connected = self.connected, False
        if was_connected and not self._stopping:
            self.last_error = f"connection lost: {reason}"
            _LOGGER.warning("Lost the MQTT broker %s (%s); reconnecting", self.where, reason)
        self._link_down.set()
        if was_connected:
            self._on_disconnected(self.last_error or "disconnected")
            self._on_status()

    def _paho_message(self, client: Any, userdata: Any, message: Any) -> None:
        self._in_callback = True
        try:
            self._on_message(message.topic, message.payload, bool(message.retain))
        finally:
            self._in_callback = False

    # ----- socket hooks ------------------------------------------------------------------------
    def _in_loop(self, func: Callable[..., None], *args: Any) -> None:
        """paho calls the socket hooks from the executor during a connect, else from the loop."""
        if threading.get_ident() == self._loop_thread:
            func(*args)
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(func, *args)

    def _socket_open(self, sock: Any) -> None:
        assert self._loop is not None
        fd = sock.fileno()
        current = self._client.socket()
        if fd < 0 or current is None or current is not sock:
            return  # closed again before the loop got to it
        if self._stopping:
            current.close()  # a connect that finished while the hub stopped
            return
        self._socket_close()
        self._fd = fd
        self._loop.add_reader(fd, self._readable)
        if self._client.want_write():
            self._loop.add_writer(fd, self._writable)

    def _socket_close(self) -> None:
        # Removing by the descriptor number recorded at open: the socket object is closed by now.
        if self._fd is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        self._fd = None

    def _want_write(self, wanted: bool) -> None:
        if self._fd is None or self._loop is None:
            return  # the socket-open step still waits in the loop's queue; it checks want_write()
        if wanted:
            self._loop.add_writer(self._fd, self._writable)
        else:
            self._loop.remove_writer(self._fd)

    def _readable(self) -> None:
        for _ in range(MAX_READS_PER_WAKEUP):
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return  # paho closed the socket and called on_disconnect
            sock = self._client.socket()
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                return

    def _writable(self) -> None:
        self._client.loop_write()
