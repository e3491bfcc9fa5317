"""What started a run, as a code with its values and as English text.

The console words the code in its page's language (`automations.describe.<code>` in
hub/ui/translations); the English text stays for the log, the audit row, `trigger.description` in
templates (as in Home Assistant) and any console that does not know the code yet.
"""

from __future__ import annotations

from typing import Any

TEXTS = {
    "state": "state of {entity_id}",
    "state_for": "state of {entity_id} for {seconds:g} s",
    "numeric_state": "numeric state of {entity_id}",
    "numeric_state_for": "numeric state of {entity_id} for {seconds:g} s",
    "event": "event '{event_type}'",
    "time": "time {time}",
    "time_pattern": "time pattern {time}",
    "mqtt": "mqtt topic {topic}",
    "passage": "passage {stage} at {gate}/{lane}",
    "manual": "triggered by service",
}


def described(code: str, **params: Any) -> dict[str, Any]:
    """A trigger's `description`, `description_code` and `description_params` (plain JSON values)."""
    return {
        "description": TEXTS[code].format(**params),
        "description_code": code,
        "description_params": params,
    }
