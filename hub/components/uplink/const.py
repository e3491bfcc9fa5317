"""Names of the uplink: message kinds, which ledger rows go where, events, limits."""

from __future__ import annotations

from typing import Final

from hub.core.const import EVENT_ALERT_LEVEL_CHANGED as EVENT_ALERT_LEVEL_CHANGED
from hub.core.const import EVENT_REGISTER_CHANGED as EVENT_REGISTER_CHANGED
from hub.core.const import EventType
from hub.core.events import AnyEventData

DOMAIN: Final = "uplink"

# Message kinds a profile describes. `passage` carries a passage row; `update` a follow-up that amends one
# (correction, release, cargo, weight), keyed by its own record id and naming its passage.
MSG_PASSAGE: Final = "passage"
MSG_UPDATE: Final = "update"
MSG_PHOTO: Final = "photo"
MSG_REGISTER: Final = {"transport": "register_transport", "in_plant": "register_in_plant",
                       "machinery": "register_machinery"}  # fmt: skip
MSG_DAILY_STATS: Final = "daily_stats"
MSG_ALERT_LEVEL: Final = "alert_level"
MSG_CONTROL: Final = "control"  # inbound: the platform's control measure

# Ledger row kinds and the message each becomes; every other kind (acceptance, lifecycle, checkpoint)
# is ours alone and never leaves the plant: an acceptance row must not be uploaded back.
LEDGER_KINDS: Final = {
    "passage": MSG_PASSAGE,
    "correction": MSG_UPDATE,
    "release": MSG_UPDATE,
    "cargo": MSG_UPDATE,
    "weight": MSG_UPDATE,
}

# What a platform may answer for one record.
ACCEPTED: Final = "accepted"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"  # already received: as good as accepted (idempotent by record id)
RETRY: Final = "retry"  # not taken now, try again later

# vehicles' and policy's events (data declared in hub/core/events.py); and ours:
# {platform, id, sent, accepted, rejected}
EVENT_RESEND_DONE: Final = EventType[AnyEventData]("uplink_resend_done")

READ_AHEAD: Final = 1000  # ledger rows read per call (ledger.read_records limit)
RESEND_SLACK_S: Final = 300  # recorded_ts is nearly, not strictly, monotonic in seq
PARKED_SHOWN: Final = 20  # parked records listed in entity attributes
