"""The `mqtt:` section of configuration.yaml: the broker, what is published where, MQTT sensors."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from .ingest import topic_matches

# A topic we publish under or subscribe to exactly: no wildcards, no empty levels at the ends.
TopicRoot = Annotated[str, Field(pattern=r"^[^#+/\s][^#+\s]*[^#+/\s]$|^[^#+/\s]$", max_length=200)]
# Home Assistant allows only these characters in a discovery topic's node_id and object_id.
NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ObjectId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# An address Home Assistant links to.
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$", max_length=300)]
LaneKey = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
LaneName = Annotated[str, Field(min_length=1, max_length=100)]
# A broker account as it appears in a topic level (Mosquitto's ACL `%u`): no wildcards, no slash.
BrokerAccount = Annotated[str, Field(pattern=r"^[^/+#\s]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TlsConfig(_Strict):
    """TLS to the broker. Paths are relative to the configuration directory unless absolute.

    Without `ca_certs` the system's trusted CAs check the broker; `insecure` skips only the check
    that the certificate names the host (a broker addressed by an IP its certificate lacks).
    """

    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    insecure: bool = False

    @model_validator(mode="after")
    def _pair(self) -> TlsConfig:
        if self.keyfile and not self.certfile:
            raise ValueError("keyfile needs certfile (the client certificate)")
        return self


class SensorDevice(_Strict):
    id: ObjectId  # stable: the sensors' unique ids are built on it
    name: str = Field(min_length=1, max_length=100)
    manufacturer: str | None = None
    model: str | None = None


class SensorTopic(_Strict):
    """One value read from an MQTT topic, e.g. PM2.5 from an air-quality microstation's JSON."""

    topic: str = Field(min_length=1, max_length=200)  # may hold + and # wildcards
    object_id: ObjectId | None = None  # the entity is sensor.<object_id>; default from topic and path
    name: str | None = Field(None, max_length=100)
    json_path: str | None = Field(None, max_length=200)  # `pm25`, `data.pm25`, `values[0].pm25`
    unit_of_measurement: str | None = Field(
        None, max_length=32, validation_alias=AliasChoices("unit_of_measurement", "unit")
    )
    device_class: str | None = Field(None, max_length=40)
    value_type: Literal["number", "string"] = "number"
    expire_after: float | None = Field(None, gt=0, le=7 * 24 * 3600)  # unavailable after this silence
    # Every message is an update, even the same value again (a plate read of the same truck twice).
    force_update: bool = False
    qos: int = Field(0, ge=0, le=1)
    device: SensorDevice | None = None

    @field_validator("topic")
    @classmethod
    def _valid_filter(cls, value: str) -> str:
        levels = value.split("/")
        for i, level in enumerate(levels):
            if ("#" in level and (level != "#" or i != len(levels) - 1)) or ("+" in level and level != "+"):
                raise ValueError("`#` only as the whole last level, `+` only as a whole level")
        return value

    @property
    def key(self) -> str:
        if self.object_id:
            return self.object_id
        text = f"{self.topic}_{self.json_path or ''}".lower()
        return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:64] or "mqtt_sensor"


Payload = str | int | float | bool


class CommandTopic(_Strict):
    """A device the hub commands over MQTT (Home Assistant's command/state topic pair): a switch, a
    number, a text, a button or a cover. With a state topic a command counts as done only when the
    device reports the new state within `confirm_seconds`; without one the entity shows what was sent."""

    platform: Literal["switch", "number", "text", "button", "cover"]
    object_id: ObjectId
    name: str | None = Field(None, max_length=100)
    command_topic: TopicRoot
    state_topic: TopicRoot | None = None
    json_path: str | None = Field(None, max_length=200)  # where the state is in a JSON payload
    qos: int = Field(0, ge=0, le=1)
    retain: bool = False
    confirm_seconds: float = Field(5.0, gt=0, le=120)
    payload_on: Payload = "ON"  # switch: sent, and the state that means on unless state_on says
    payload_off: Payload = "OFF"
    state_on: Payload | None = None
    state_off: Payload | None = None
    payload_press: Payload = "PRESS"  # button
    payload_open: Payload = "OPEN"  # cover
    payload_close: Payload = "CLOSE"
    payload_stop: Payload | None = "STOP"
    # cover: state payload -> open/closed/opening/closing (default: those words themselves)
    cover_states: dict[str, Literal["open", "closed", "opening", "closing"]] | None = None
    minimum: float | None = None  # number
    maximum: float | None = None
    device: SensorDevice | None = None


class ImageTopic(_Strict):
    """Photos another camera system publishes on a topic (JPEG or PNG bytes, Home Assistant's MQTT
    `image` with `content_type`): `image.<object_id>`, bound to a lane as its `photo` or `plate_photo`."""

    topic: str = Field(min_length=1, max_length=200, pattern=r"^[^+#]+$")  # one camera's topic
    object_id: ObjectId
    name: str | None = Field(None, max_length=100)
    device: SensorDevice | None = None
    qos: int = Field(0, ge=0, le=1)


class MqttConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    client_id: str | None = Field(None, max_length=64)  # default: <node_id>-<random>
    username: str | None = None
    password: str | None = None  # use `!secret`
    tls: TlsConfig | None = None
    keepalive: int = Field(60, ge=5, le=3600)
    qos: int = Field(1, ge=0, le=1)  # for what the hub publishes
    base_topic: TopicRoot = "ecogate"
    node_id: NodeId = "ecogate"
    discovery: bool = True
    discovery_prefix: TopicRoot = "homeassistant"
    # Commands (docs/mqtt-broker.md). Broker account -> the hub user whose roles its commands act
    # with; each account commands on `<base_topic>/command/<account>/<entity_id>` under a broker ACL.
    command_accounts: dict[BrokerAccount, str] = Field(default_factory=dict)
    home_assistant_account: BrokerAccount | None = None  # whose command topics discovery announces
    # A broker that lets anyone in vouches for no one: commands are ignored there unless this is set.
    allow_open_broker: bool = False
    # The hub user for the shared `<base_topic>/<entity_id>/set` topics, taken on an allowed open broker only.
    command_user: str | None = None
    announce_min_seconds: float = Field(5.0, ge=0.1, le=3600)  # Home Assistant births: one re-announce per
    exclude: list[str] = Field(default_factory=list)  # entity id patterns (fnmatch) not to publish
    # Home Assistant's names of the lanes, by lane key (`east_gate_in: 东门 入口车道`); default: the
    # configured barrier or camera name.
    lane_names: dict[LaneKey, LaneName] = Field(default_factory=dict)
    # Where Home Assistant links the hub device to (its HMI) and its origin's support page; default:
    # the HMI's own address as it listens.
    hmi_url: HttpUrl | None = None
    support_url: HttpUrl | None = None
    sensors: list[SensorTopic] = Field(default_factory=list)
    commands: list[CommandTopic] = Field(default_factory=list)  # devices the hub writes to
    images: list[ImageTopic] = Field(default_factory=list)  # photos of another camera system
    reconnect_min_seconds: float = Field(1.0, ge=0.05, le=60)
    reconnect_max_seconds: float = Field(60.0, ge=0.05, le=3600)
    max_queued_messages: int = Field(10000, ge=0)  # passages kept while the broker is away (0: no bound)
    bad_payload_log_every: int = Field(100, ge=1)  # log the first bad payload of a topic, then every Nth

    @model_validator(mode="after")
    def _consistent(self) -> MqttConfig:
        if self.password is not None and self.username is None:
            raise ValueError("password needs username")
        if self.home_assistant_account and self.home_assistant_account not in self.command_accounts:
            raise ValueError("home_assistant_account is not one of command_accounts")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds is below reconnect_min_seconds")
        for sensor in self.sensors:
            if topic_matches(sensor.topic, f"{self.base_topic}/sensor.x/state"):
                raise ValueError(f"sensor topic {sensor.topic!r} would read the hub's own messages")
        keys = [s.key for s in self.sensors]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"sensor object_id used twice: {', '.join(twice)}")
        for command in self.commands:
            for topic in (command.command_topic, command.state_topic):
                if topic is not None and topic_matches(f"{self.base_topic}/#", topic):
                    raise ValueError(f"{command.object_id}: {topic!r} is under the hub's own base topic")
        for image in self.images:
            if topic_matches(f"{self.base_topic}/#", image.topic):
                raise ValueError(f"image {image.object_id}: {image.topic!r} is under the hub's base topic")
        image_ids = [i.object_id for i in self.images]
        if twice := sorted({i for i in image_ids if image_ids.count(i) > 1}):
            raise ValueError(f"image object_id used twice: {', '.join(twice)}")
        ids = [(c.platform, c.object_id) for c in self.commands]
        if twice := sorted({f"{p}.{o}" for p, o in ids if ids.count((p, o)) > 1}):
            raise ValueError(f"command entity configured twice: {', '.join(twice)}")
        return self
