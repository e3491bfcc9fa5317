"""The passage stages an automation can trigger on, read from the policy's and the ledger's events.

`gate_decision` is a passage decided (and `denied` when the verdict is deny); `passage_recorded` is a
ledger row: the passage itself (`recorded`) or a follow-up (`released`, `weighed`, `corrected`,
`lifecycle`). A follow-up row names only its passage, so the book remembers the recent passages and
gives a follow-up its passage's plate, colour, class and decision (`{{ trigger.passage.plate }}` on
a weight as on the passage).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from hub.core import Event
from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED

RECENT_PASSAGES = 2000
FOLLOWUP_STAGES = {
    "release": "released",
    "weight": "weighed",
    "correction": "corrected",
    "lifecycle": "lifecycle",
}
INHERITED = ("plate", "colour", "vehicle_class", "decision", "direction", "emission_stage", "fleet", "seq")
EVENTS = (EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED)


class PassageBook:
    def __init__(self) -> None:
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def note(self, event: Event) -> None:
        """Remember a recorded passage (a bus listener, registered before any automation's)."""
        d = event.data
        if event.event_type == EVENT_PASSAGE_RECORDED and d.get("kind") == "passage" and d.get("passage_id"):
            self._recent[str(d["passage_id"])] = {k: d.get(k) for k in INHERITED}
            if len(self._recent) > RECENT_PASSAGES:
                self._recent.popitem(last=False)

    def stages_of(self, event: Event) -> tuple[list[str], dict[str, Any]]:
        """The stages this event is, and the passage as a trigger shows it."""
        d = event.data
        if event.event_type == EVENT_GATE_DECISION:
            stages = ["decided", "denied"] if d.get("decision") == "deny" else ["decided"]
            return stages, dict(d)
        kind = d.get("kind")
        if kind == "passage":
            return ["recorded"], dict(d)
        stage = FOLLOWUP_STAGES.get(str(kind))
        if stage is None:
            return [], {}
        passage = dict(d)
        known = self._recent.get(str(d.get("passage_id")))
        if known is not None:
            for key, value in known.items():
                if passage.get(key) is None:
                    passage[key] = value
        return [stage], passage


def passage_matches(passage: Mapping[str, Any], filters: Mapping[str, list[str] | None]) -> bool:
    for key, wanted in filters.items():
        if wanted is None:
            continue
        if key == "lane":
            key_name = f"{passage.get('gate')}_{passage.get('lane')}"
            if str(passage.get("lane")) not in wanted and key_name not in wanted:
                return False
        elif str(passage.get(key)) not in wanted:
            return False
    return True
