"""Names of the admission policy: levels, decisions, reason codes, lifecycle phases, events, files."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from hub.core.const import EVENT_ALERT_LEVEL_CHANGED

DOMAIN: Final = "policy"

# Fired on every switch of the plant's alert level (by an officer, a schedule or the platform); its
# data is hub.core.events.AlertLevelChangedData.
__all__ = ["EVENT_ALERT_LEVEL_CHANGED"]

ALERT_ENTITY_OBJECT_ID: Final = "plant_alert_level"
ALERT_STATE_FILE: Final = "policy_alert_level.json"


class AlertLevel(StrEnum):
    NORMAL = "normal"
    YELLOW = "yellow"  # 黄色预警, response III
    ORANGE = "orange"  # 橙色预警, response II
    RED = "red"  # 红色预警, response I


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REVIEW = "review"  # held at the barrier until a guard confirms the read


class Phase(StrEnum):
    """A passage's lifecycle: (arrived,) new, decided, opening, passed, closed; or denied, interrupted.
    `arrived` is written on lanes with a presence detector, with the time the vehicle came."""

    ARRIVED = "arrived"
    NEW = "new"
    DECIDED = "decided"
    OPENING = "opening"
    PASSED = "passed"
    CLOSED = "closed"
    DENIED = "denied"
    INTERRUPTED = "interrupted"
    ERROR = "error"  # the ledger did not take the passage: nothing moved, the guard must act


FINISHED: Final = frozenset({Phase.CLOSED, Phase.DENIED, Phase.INTERRUPTED, Phase.ERROR})

VEHICLE_CLASSES: Final = ("transport", "in_plant", "machinery", "unknown")
EXEMPTIONS: Final = ("safety", "livelihood", "special", "hazardous")


class Reason(StrEnum):
    """Reason codes of decisions the policy makes itself (rules bring their own codes)."""

    ALLOWED = "allowed"
    EXEMPT = "exempt"
    TEMPORARY_PASS = "temporary_pass"
    BLACKLISTED = "blacklisted"
    REVIEW_MARKED = "review_marked"  # the register marks the plate for the guard's review
    UNREGISTERED = "unregistered"
    NOT_USABLE_TODAY = "not_usable_today"
    LOW_CONFIDENCE = "low_confidence"
    LOOKUP_FAILED = "lookup_failed"
    EXIT = "exit_recorded"
    FORBIDDEN = "forbidden"
    RELEASED = "released"
    LEDGER_FAILED = "ledger_failed"
    READ_EXPIRED = "read_expired"  # the read waited too long (a full disk, a locked ledger): not acted on
