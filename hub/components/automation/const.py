"""Names of the automation component: its domain, events, defaults."""

from __future__ import annotations

from typing import Any, Final

from hub.core.const import EventType

DOMAIN: Final = "automation"
AUTOMATIONS_FILE: Final = "automations.yaml"

# Fired when a run starts (its context is the run's: the service calls it makes carry the same id)
# and when it ends, with the trace's outcome.
EVENT_AUTOMATION_TRIGGERED: Final = EventType[dict[str, Any]]("automation_triggered")
EVENT_AUTOMATION_FINISHED: Final = EventType[dict[str, Any]]("automation_finished")
EVENT_AUTOMATION_RELOADED: Final = EventType[dict[str, Any]]("automation_reloaded")

# Home Assistant's defaults: ten runs at once for queued/parallel, five traces kept.
DEFAULT_MAX_RUNS: Final = 10
DEFAULT_STORED_TRACES: Final = 5
MAX_STORED_TRACES: Final = 100
# A trace keeps at most this many steps (a repeat of 10,000 rounds keeps its first ones and a count).
MAX_TRACE_STEPS: Final = 500

# The service calls of a run pass the service registry through this door (the audit log shows it).
DOOR: Final = "automation"
