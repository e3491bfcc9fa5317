"""What the data of each cross-room event holds: the contract between the room that fires it and the
rooms that listen, checked by the type checker (mypy in CI), never at run time.

Each event name in `hub.core.const` is an `EventType[SomeData]`; `hub.bus.async_fire(EVENT_X, data)`
checks `data` against `SomeData` and `hub.bus.async_listen(EVENT_X, listener)` checks that the listener
takes an `Event[SomeData]` (model: Home Assistant's `EventStateChangedData` in homeassistant/core.py).
Keys that only some events carry are `NotRequired`; read them with `.get`. Times are ISO 8601 text in
the plant's time zone, as the ledger stores them.

How to use them:
- fire with the TypedDict's constructor, `bus.async_fire(EVENT_PLATE_READ, PlateReadData(read_id=...))`,
  or a variable annotated with it (`data: PlateReadData = {...}`): mypy cannot match a bare dict literal
  against the event's type and says "Cannot infer value of type parameter _DataT". At run time the
  constructor is a plain dict, though a call is slower than a literal: on a hot path (state_changed)
  use the annotated literal.
- listen with `def listener(event: Event[PlateReadData]) -> None` (or a coroutine). A listener typed
  with the bare `Event` takes any event; a listener of the wrong event's data is refused.
- an event named at run time (an automation's) is fired as `EventType(name)`: it takes any mapping.
A listener receives the data read-only (a `MappingProxyType` copy at run time): it must not change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from .photos import PhotoRef

if TYPE_CHECKING:
    from .state import State


class NoEventData(TypedDict):
    """An event that carries nothing (hub_start, hub_stop)."""


# ----- the core ------------------------------------------------------------------------------------


class HubStartedData(TypedDict):
    """hub_started, fired by the hub (core/hub.py) once every integration has been set up.
    Listeners: rooms that start work needing the others (reports' schedule, airquality's MQTT)."""

    loaded: list[str]
    failed: dict[str, str]  # integration -> why it did not set up


class EventStateChangedData(TypedDict):
    """state_changed, fired by the state machine (core/state.py) when an entity's state or an attribute
    changes. Listeners: policy (lane parts), automation, mqtt, opcua, ui, insight."""

    entity_id: str
    old_state: State | None  # None: the entity is new
    new_state: State | None  # None: the entity was removed


class ServiceRegisteredData(TypedDict):
    """service_registered, fired by the service registry (core/service.py)."""

    domain: str
    service: str


class ServiceCalledData(TypedDict):
    """service_called, fired by the service registry (core/service.py) after every call through a door,
    for the audit log. Listener: ledger (audit chain)."""

    domain: str
    service: str
    data: Any  # a summary of the call's data, secrets blanked (core/service.py audit_summary)
    door: str  # ui, api, opcua, mqtt, cli, automation ...
    user_id: str | None
    outcome: str  # ok, denied, invalid, failed
    error: str | None


class UserLoginData(TypedDict):
    """user_login, fired by every door that signs people in: ui (ui/security.py) and opcua
    (opcua/logins.py, opcua/security.py). Listener: ledger (audit chain)."""

    username: str
    user_id: str | None  # None: nobody was signed in
    door: str
    outcome: str  # ok, bad_password, unknown_user, locked, refused ...
    method: str  # password, token, certificate, security_policy_none ...
    remote: str | None  # the peer's address, when the door knows it
    request: NotRequired[str]  # opcua: what an early refusal was about
    # opcua: the secure channel the attempt came over (opcua/gatekeeper.py Peer.audit)
    security_mode: NotRequired[str]
    security_policy: NotRequired[str]
    thumbprint: NotRequired[str | None]
    application_uri: NotRequired[str | None]


# ----- the passage path: read -> decision -> record ------------------------------------------------


class PlateReadData(TypedDict):
    """plate_read, fired by the camera lanes (anpr/lane.py) and by policy for plate entities of other
    camera systems and RFID-only lanes (policy/lanes.py). Listeners: policy (decides), insight (joins),
    ui (live feed), console, automation."""

    read_id: str  # also the id of the event's context: the passage's chain of cause starts here
    gate: str
    lane: str
    direction: str  # in / out
    plate: str  # empty when only a tag was read
    colour: str  # hub.util.plate.PlateColour values
    confidence: float | None  # None: the source gives none
    needs_review: bool
    source: str  # the camera, or the entity the read came from
    captured_at: str
    read_at: str
    # role (plate, scene) -> the photo in the hub's photo store (hub.photos), never bytes; may be empty
    photos: dict[str, PhotoRef]
    rfid: NotRequired[str | None]  # the lane's tag read with the plate (policy/lanes.py)


class GateDecisionData(TypedDict):
    """gate_decision, fired by policy (policy/lane_control.py) for each decision and each step of a passage.
    Listeners: ui (live feed, review), automation, console, mqtt."""

    passage_id: str | None  # None until the passage row is committed
    read_id: str | None
    seq: int | None  # the latest ledger row about the passage
    gate: str
    lane: str
    direction: str
    plate: str
    colour: str
    vehicle_class: str
    decision: str  # allow, deny, review, error
    allowed: bool
    reason_code: str
    reason_text: str
    rule: str | None
    alert_level: str
    needs_review: bool


class WeightStableData(TypedDict):
    """weight_stable, fired by the weighbridge integration (weighbridge/device.py) and by policy for
    other scales' entities (policy/weighing.py). Listeners: policy (weight_join.py: the weight
    follow-up), insight."""

    gate: str
    lane: str
    weight_kg: int
    at: str
    indicator: str | None  # the indicator's name or entity id


class PassageRecordedData(TypedDict):
    """passage_recorded, fired by the ledger (ledger/recorder.py) for each committed row of the record
    chain (a passage or a follow-up: release, weight, correction, review ...), as the ledger's readers see
    a row (ledger/rows.py record_dict). Listeners: uplink, mqtt, opcua, ui, insight, airquality
    simulators, automation, console."""

    seq: int
    kind: str  # passage, or the follow-up's kind
    passage_id: str | None
    ref_seq: int | None  # a follow-up: the passage row it is about
    recorded_ts: int
    recorded_at: str
    gate: str | None
    lane: str | None
    direction: str | None
    plate: str | None
    colour: str | None
    vehicle_class: str | None
    emission_stage: str | None
    fuel: str | None
    fleet: str | None
    decision: str | None
    reason_code: str | None
    status: str | None
    actor: str | None
    photo_plate: str | None
    photo_scene: str | None
    rfid: str | None  # the lane's RFID tag seen with the read (a passage; None for follow-ups)
    prev_hash: str
    hash: str
    # From the row's data: a passage's details ...
    read_id: NotRequired[str]
    reason_text: NotRequired[str]
    rule: NotRequired[str]
    alert_level: NotRequired[str]
    confidence: NotRequired[float]
    needs_review: NotRequired[bool]
    captured_at: NotRequired[str]
    clock_skew_s: NotRequired[float]
    video_ref: NotRequired[str]
    entry: NotRequired[str]  # manual: entered by a person
    vehicle: NotRequired[dict[str, Any]]
    photos: NotRequired[dict[str, str]]  # role -> sha256
    # ... or a follow-up's payload
    weight_kg: NotRequired[int]
    at: NotRequired[str]
    state: NotRequired[str]
    note: NotRequired[str]


class AlertLevelChangedData(TypedDict):
    """alert_level_changed, fired by policy (policy/select.py) when the heavy-pollution alert level
    changes. Listener: uplink (reports it to the platforms)."""

    level: str
    previous: str
    measure_code: int | None  # the rule book's control measure (policy.set_alert_level)
    measure: str | None
    response_level: str | None
    start: str | None
    end: str | None
    source: str  # who set it: a person, the platform, the schedule
    reason: str | None
    user_id: str | None


# register_changed, fired by the vehicle register (vehicles/register.py) for each change of an entry or
# list. Listener: uplink (sends the register to the platforms). `class` is a keyword: declared the
# functional way.
RegisterChangedData = TypedDict(
    "RegisterChangedData",
    {
        "class": str,  # the register's class or list
        "key": str,
        "action": str,  # add, update, remove
        "record": dict[str, Any],  # the entry as the register shows it (its last form when removed)
        "changed_ts": int,
        "user_id": str | None,
    },
)


class VehicleArrivedData(TypedDict):
    """vehicle_arrived, fired by the demo traffic (traffic/__init__.py). Listeners: that lane's simulated
    devices (anpr simulator, weighbridge simulator)."""

    gate: str
    lane: str
    direction: str
    vehicle: dict[str, Any]  # traffic/fleet.py DemoVehicle.as_dict
    gross_kg: int


class RemoteSensingReadingData(TypedDict):
    """remote_sensing_reading, fired by airquality's remote-sensing units (airquality/remote.py).
    Listener: insight (joins it to a passage)."""

    unit: str
    name: str
    site: str | None
    gate: str | None
    lane: str | None
    reading_id: str
    at: str
    plate: str | None  # None: the unit read no plate; joined by lane and time instead
    valid: bool
    no_ppm: float | None
    hc_ppm: float | None
    co_pct: float | None
    co2_pct: float | None
    opacity_pct: float | None
    ringelmann: float | None
    speed_kmh: float | None
    accel_ms2: float | None


class AirQualityData(TypedDict):
    """air_quality_data, fired by airquality's stations (airquality/station.py) for each record.
    Listener: insight."""

    station: str
    name: str
    mn: str | None  # the HJ 212 device id, when the station has one
    source: str
    kind: str  # realtime, minute, hour
    data_time: str
    values: dict[str, float]  # factor key -> value
    flags: dict[str, str]  # factor key -> HJ 212 flag


# ----- service data one room builds for another's service ------------------------------------------


class RecordFollowupData(TypedDict):
    """The data of `ledger.record_followup` (validated by the ledger's RecordFollowup model, which is
    the truth; this mirrors it for the rooms that call it without importing the ledger: policy, insight,
    uplink)."""

    passage_id: str
    kind: str  # release, weight, correction, review, emission, lifecycle ... (ledger FollowupKind)
    data: NotRequired[dict[str, Any]]
    reason: NotRequired[str | None]


# Events whose data is not a contract between rooms (a room's own events, events named in
# automations): any mapping.
AnyEventData = Mapping[str, Any]
