"""MQTT bridge: the hub's entities for Home Assistant and SCADA, commands back in, MQTT sensors.

Publishes every entity with Home Assistant MQTT device discovery
(`<discovery_prefix>/device/<device_id>/config`, retained, one per device; a device per lane), its
state, JSON attributes and availability under `<base_topic>/<entity_id>/...` (retained), the bridge's
`<base_topic>/status` (online/offline, the last will), every ledger record on `<base_topic>/passage`
(not retained) and each lane's plate reads and latest photos under `<base_topic>/lane/<lane>/`.
Barrier covers and the alert-level select take commands on
`<base_topic>/command/<broker account>/<entity_id>`, believed only when the broker authenticates its
clients (checked on every connect) and run through the hub's services as the hub user that account
maps to (door "mqtt"); see docs/mqtt-broker.md. Configured sensor topics become `sensor.<object_id>`
entities; configured `commands` are devices the hub writes to (switch, number, text, button, cover from
a command topic and a state topic that confirms, writable.py); configured `images` topics carry another
camera system's photos, `image.<object_id>` entities a lane binds as its photo (image.py). The
connection comes back by itself after a broker restart and publishes everything again.
Entities `binary_sensor.mqtt_broker_connected` and `binary_sensor.mqtt_broker_open` (a problem).
"""

from __future__ import annotations

import logging

from hub.core import Hub
from hub.core.writable import async_register_entity_services

from .bridge import MqttBridge
from .config import MqttConfig
from .const import DOMAIN
from .image import MqttImage
from .ingest import ThrottledLog
from .writable import KINDS

CONFIG_SCHEMA = MqttConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "async_setup"]


async def async_setup(hub: Hub, config: MqttConfig) -> bool:
    bridge = MqttBridge(hub, config)
    hub.data[DOMAIN] = bridge
    await bridge.async_start()
    hub.async_on_stop(bridge.async_stop)
    publish = bridge.connection.publish
    commanded = [KINDS[c.platform](c, publish) for c in config.commands]
    await hub.entities.async_add(DOMAIN, commanded)
    for entity in commanded:
        if entity.conf.state_topic is not None:
            bridge.async_subscribe(entity.conf.state_topic, entity.on_message, entity.conf.qos)
    for platform in sorted({c.platform for c in config.commands}):
        async_register_entity_services(hub, platform)
    bad_photos = ThrottledLog(logging.getLogger(f"{__name__}.image"), config.bad_payload_log_every)
    images = [MqttImage(c, bad_photos) for c in config.images]
    await hub.entities.async_add(DOMAIN, images)
    for image in images:
        bridge.async_subscribe(image.conf.topic, image.on_message, image.conf.qos)
    return True
