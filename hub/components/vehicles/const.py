"""Names of the register: events, actions, file layout, limits."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "vehicles"

# Fired after every committed change of a record or a list entry:
# {class, key, action, record, changed_ts, user_id}; `class` is a vehicle class, or blacklist / pass.
EVENT_REGISTER_CHANGED: Final = "register_changed"

ACTION_CREATED: Final = "created"
ACTION_UPDATED: Final = "updated"
ACTION_DELETED: Final = "deleted"

REGISTER_DIR: Final = "register"  # document photos, under the data directory
MAX_PAGE_SIZE: Final = 500
MAX_RECORD_KEYS: Final = 80
