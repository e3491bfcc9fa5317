"""Names of the uplink: message kinds, which ledger rows go where, events, limits."""

from __future__ import annotations

from typing import Final

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

EVENT_REGISTER_CHANGED: Final = "register_changed"  # vehicles
EVENT_ALERT_LEVEL_CHANGED: Final = "alert_level_changed"  # policy
EVENT_RESEND_DONE: Final = "uplink_resend_done"  # ours: {platform, id, sent, accepted, rejected}

READ_AHEAD: Final = 1000  # ledger rows read per call (ledger.read_records limit)
RESEND_SLACK_S: Final = 300  # recorded_ts is nearly, not strictly, monotonic in seq
PARKED_SHOWN: Final = 20  # parked records listed in entity attributes
