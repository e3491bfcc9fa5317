"""Names of the register: events, actions, file layout, limits."""

from __future__ import annotations

from typing import Final

from hub.core.const import EVENT_REGISTER_CHANGED as EVENT_REGISTER_CHANGED

DOMAIN: Final = "vehicles"

# EVENT_REGISTER_CHANGED is fired after every committed change of a record or a list entry (data:
# RegisterChangedData in hub/core/events.py); `class` is a vehicle class, or blacklist / pass.

ACTION_CREATED: Final = "created"
ACTION_UPDATED: Final = "updated"
ACTION_DELETED: Final = "deleted"

REGISTER_DIR: Final = "register"  # document photos, under the data directory
MAX_PAGE_SIZE: Final = 500
MAX_RECORD_KEYS: Final = 80
