"""Delivery of ledger and register data to supervisory platforms (省/市监管平台上传).

The ledger is the outbox: each platform keeps only its place in it (the last acknowledged sequence
number), what it parked as invalid, and its daily figures. Passages go in real time (`passage_recorded`
wakes the sender), register records on change (`register_changed`), alert-level switches as they happen
(`alert_level_changed`), the day's statistics on a schedule; the platform's answers come back as
acceptance rows of the ledger, its control measure goes to `policy.set_alert_level`. Platforms differ
by profile (profiles/*.yaml); the transport is HTTPS JSON or a persistent line-JSON TCP connection.

Entities per platform: `sensor.uplink_<platform>_pending`, `_sent_today`, `_acknowledged_today`,
`_rejected_today` (parked records in its attributes), `_upload_rate`,
`binary_sensor.uplink_<platform>_connected` (failed attempts and steps waiting alone in its attributes).
A record that cannot be encoded is parked with its reason, never retried by itself; a step that fails
waits alone; after an outage the backlog goes out within seconds (retry.py). The register goes up
through its change feed (register_feed.py).
Services: `uplink.resend`, `uplink.status`, `uplink.send_daily_stats`; `uplink.vehicle_check` (internal:
the policy's online verification, online.py) where a profile offers a vehicle check. Device status and
heartbeats go up where a profile asks for them (devices.py), from the lanes' entities' availability.
A platform with `simulator: true` gets an in-process platform simulator on its url's port.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from hub.core import ConfigError, Event, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_STATE_CHANGED
from hub.core.events import (
    AlertLevelChangedData,
    EventStateChangedData,
    PassageRecordedData,
    RegisterChangedData,
)

from . import online
from .binary_sensor import UplinkConnected
from .config import PlatformConfig, SimulatorOptions, UplinkConfig
from .const import DOMAIN, EVENT_ALERT_LEVEL_CHANGED, EVENT_REGISTER_CHANGED
from .devices import is_device_health
from .link import PlatformLink
from .profile import Profile, load_profile
from .sensor import SENSORS, UplinkSensor
from .services import register

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = UplinkConfig
SIMULATOR_CREDENTIALS = {"account": "demo", "key": "demo-key", "secret": "demo-secret"}

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "PlatformLink", "Uplink", "async_setup"]


class Uplink:
    def __init__(self, hub: Hub, config: UplinkConfig) -> None:
        self.hub = hub
        self.config = config
        self.links: dict[str, PlatformLink] = {}
        self.simulators: dict[str, object] = {}

    @property
    def url(self) -> str | None:
        """Where the simulated platforms listen, for the person running the demo."""
        urls = [f"{name} {link.conf.url}" for name, link in self.links.items() if name in self.simulators]
        return ", ".join(urls) or None

    async def async_add_platform(self, conf: PlatformConfig) -> PlatformLink:
        profile = load_profile(conf.profile, self.hub.config_dir)
        if (options := conf.simulator_options) is not None:
            conf = await self._async_start_simulator(conf, profile, options)
        _check_credentials(conf, profile)
        link = PlatformLink(self.hub, conf, profile, self.config)
        await link.async_start()
        self.links[conf.name] = link
        return link

    async def _async_start_simulator(
        self, conf: PlatformConfig, profile: Profile, options: SimulatorOptions
    ) -> PlatformConfig:
        from .simulator import PlatformSimulator

        credentials = {k: getattr(conf, k) or v for k, v in SIMULATOR_CREDENTIALS.items()}
        parts = urlsplit(conf.url)
        hub = self.hub
        sim = PlatformSimulator(
            profile, host=parts.hostname or "127.0.0.1", port=parts.port or 0,
            token_seconds=options.token_seconds, clock=lambda: hub.now().timestamp(), **credentials,
        )  # fmt: skip
        sim.set_slow(options.slow_seconds)
        sim.reject(plates=options.reject_plates)
        port = await sim.async_start()
        hub.async_on_stop(sim.async_stop)
        self.simulators[conf.name] = sim
        url = urlunsplit((parts.scheme, f"{parts.hostname}:{port}", parts.path, "", ""))
        return conf.model_copy(update={"url": url, **credentials})


def _check_credentials(conf: PlatformConfig, profile: Profile) -> None:
    kind = profile.auth.kind
    needed = {"token": ("account", "key"), "body_token": ("account", "key"), "login": ("account", "key"),
              "hmac": ("account", "secret")}  # fmt: skip
    missing = [k for k in needed.get(kind, ()) if not getattr(conf, k)]
    if missing:
        raise ConfigError(
            f"uplink platform {conf.name}: profile {profile.name} ({kind} auth) needs {', '.join(missing)}"
        )


async def async_setup(hub: Hub, config: UplinkConfig) -> bool:
    uplink = Uplink(hub, config)
    hub.data[DOMAIN] = uplink
    for conf in config.platforms:
        if not conf.enabled:
            _LOGGER.info("Uplink %s disabled", conf.name)
            continue
        link = await uplink.async_add_platform(conf)
        entities = [UplinkSensor(link, description) for description in SENSORS]
        await hub.entities.async_add(DOMAIN, [*entities, UplinkConnected(link)])
    register(hub, uplink)
    online.register(hub, uplink)

    def on_passage(event: Event[PassageRecordedData]) -> None:
        for link in uplink.links.values():
            link.counter.async_request_refresh()
            link.ledger.wake()

    def on_register(event: Event[RegisterChangedData]) -> None:
        for link in uplink.links.values():
            link.register.wake()

    async def on_alert(event: Event[AlertLevelChangedData]) -> None:
        for link in uplink.links.values():
            try:
                await link.alerts.async_queue(event.data, event.context.id)
            except Exception:
                _LOGGER.exception("Uplink %s: alert-level switch not queued", link.name)

    def on_device(event: Event[EventStateChangedData]) -> None:
        for link in uplink.links.values():
            for stream in link.devices:
                stream.device_changed()

    unsubs = [
        hub.bus.async_listen(
            EVENT_STATE_CHANGED,
            on_device,
            event_filter=lambda e: is_device_health(e.data["entity_id"]),
        ),
        hub.bus.async_listen(EVENT_PASSAGE_RECORDED, on_passage),
        hub.bus.async_listen(EVENT_REGISTER_CHANGED, on_register),
        hub.bus.async_listen(EVENT_ALERT_LEVEL_CHANGED, on_alert),
    ]

    async def async_stop() -> None:
        for unsub in unsubs:
            unsub()
        for link in uplink.links.values():
            await link.async_stop()

    hub.async_on_stop(async_stop)
    return True
