"""Names of the web HMI: cookies, roles per page, the events the live feed carries."""

from __future__ import annotations

from typing import Final

from hub.core.auth import Role
from hub.core.const import (
    EVENT_GATE_DECISION,
    EVENT_PASSAGE_RECORDED,
    EVENT_PLATE_READ,
    EVENT_STATE_CHANGED,
    EventType,
)
from hub.core.events import AnyEventData

DOMAIN: Final = "ui"
LANGUAGES: Final = ("zh-CN", "en")
SESSION_COOKIE: Final = "ecogate_session"
LANGUAGE_COOKIE: Final = "ecogate_lang"
SECRET_FILE: Final = "ui_session_secret"
REVOKED_FILE: Final = "ui_revoked_sessions.json"

# The events the WebSocket feed forwards (docs/architecture.md: publishers follow the bus).
# `plant_figures`: the big screen's figures were refreshed (screen.py); `release_request`: a two-step
# release was asked for or answered (release.py).
EVENT_PLANT_FIGURES: Final = EventType[AnyEventData]("plant_figures")
EVENT_RELEASE_REQUEST: Final = EventType[AnyEventData]("release_request")
FEED_EVENTS: Final[tuple[str, ...]] = (
    EVENT_STATE_CHANGED, EVENT_PLATE_READ, EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED, EVENT_PLANT_FIGURES,
    EVENT_RELEASE_REQUEST,
)  # fmt: skip

# Who may open a page (admin always may). None: any signed-in user. What a user may *do* on a page is
# decided by the roles of the services it calls, read from the service registry.
READERS: Final = frozenset({Role.INSPECTOR, Role.OFFICER, Role.GUARD})
PAGE_ROLES: Final[dict[str, frozenset[Role] | None]] = {
    "lanes": None,
    "passages": READERS,
    "alert": None,
    "vehicles": READERS,
    "audit": frozenset({Role.INSPECTOR, Role.OFFICER}),
    "reports": frozenset({Role.INSPECTOR, Role.OFFICER}),
    "uplink": None,
    "users": frozenset(),  # administrators only
    "automations": frozenset({Role.ENGINEER, Role.OFFICER, Role.INSPECTOR}),
    "screen": None,  # the big screen and its widgets
    "quality": frozenset({Role.INSPECTOR, Role.OFFICER}),
    "airquality": frozenset({Role.INSPECTOR, Role.OFFICER}),  # microstations, remote sensing, anomalies
    "devices": frozenset({Role.ENGINEER, Role.OFFICER}),  # read-only; configuration lives in YAML
    "approvals": frozenset({Role.OFFICER, Role.GUARD}),  # two-step release requests (release.py)
}
# Entity suffixes of one lane (`<platform>.<gate>_<lane>_<what>`), see the contracts.
LANE_ENTITIES: Final = {
    "plate": "sensor.{key}_plate",
    "camera_online": "binary_sensor.{key}_camera_online",
    "barrier": "cover.{key}_barrier",
    "barrier_online": "binary_sensor.{key}_barrier_online",
    "weight": "sensor.{key}_weight",
    "display": "sensor.{key}_display",
    "alarm": "binary_sensor.{key}_alarm",
}
ALERT_ENTITY: Final = "select.plant_alert_level"
UPLINK_PREFIX: Final = "sensor.uplink_"
