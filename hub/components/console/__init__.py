"""Prints the gate's life on standard output, one line per plate read, decision and passage.

For the demo and for a person watching `ecogate run` in a terminal; the HMI shows the same live.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Mapping
from typing import TextIO

from pydantic import BaseModel, ConfigDict

from hub.core import Event, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED, EVENT_PLATE_READ, EVENT_WEIGHT_STABLE

DOMAIN = "console"
_VERDICTS = {"allow": "放行 ALLOW", "deny": "禁止 DENY", "review": "待确认 REVIEW", "error": "故障 ERROR"}
_TAG_READS_KEPT = 256  # tag reads whose decisions may still come (a passage's steps come within seconds)


class ConsoleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate_reads: bool = True
    decisions: bool = True
    passages: bool = True
    weights: bool = True
    lifecycle: bool = False  # each passage's steps (opening, passed, closed ...), many lines
    acceptance: bool = False  # each platform's acceptance of each record, as many lines again


CONFIG_SCHEMA = ConsoleConfig


def format_event(event: Event, tag_reads: Mapping[str, str] | None = None) -> str:
    """One line, in the plant's words, for any of the passage events. `tag_reads` (read id -> RFID tag)
    names the tag behind a decision on a read that had no plate."""
    d = event.data
    when = event.time_fired.strftime("%H:%M:%S")
    where = f"{d.get('gate', '?')}/{d.get('lane', '?')}"
    if event.event_type == EVENT_PLATE_READ and not d.get("plate") and d.get("rfid"):
        # A tag at a lane without a plate camera: no plate, colour or confidence to show. The register
        # entry holding the tag is found by policy; its decision's line names it beside the tag.
        return f"{when} {where:<16} {d.get('direction', ''):<3} 识别 tag   电子标签 {d.get('rfid')}"
    if event.event_type == EVENT_PLATE_READ:
        review = "  需人工确认 needs review" if d.get("needs_review") else ""
        return (
            f"{when} {where:<16} {d.get('direction', ''):<3} 识别 read  {d.get('plate')} "
            f"[{d.get('colour')}] {float(d.get('confidence') or 0):.2f}{review}"
        )
    if event.event_type == EVENT_GATE_DECISION:
        verdict = _VERDICTS.get(str(d.get("decision")), str(d.get("decision")))
        tag = (tag_reads or {}).get(str(d.get("read_id")))
        named = f" (电子标签 {tag})" if tag else ""
        return f"{when} {where:<16} {verdict:<9} {d.get('plate') or '-'}{named}  {d.get('reason_text') or ''}"
    if event.event_type == EVENT_PASSAGE_RECORDED:
        kind = d.get("kind", "passage")
        if kind == "passage":
            return (
                f"{when} {where:<16} 记录 passage #{d.get('seq')} {d.get('plate')} {d.get('decision') or ''}"
            )
        what = d.get("status") or d.get("weight_kg") or d.get("plate") or d.get("cargo") or ""
        return f"{when} {where:<16} 补记 {kind} #{d.get('seq')} → #{d.get('ref_seq')} {what}"
    if event.event_type == EVENT_WEIGHT_STABLE:
        return f"{when} {where:<16} 称重 weight {d.get('weight_kg')} kg"
    return f"{when} {event.event_type} {dict(d)}"


async def async_setup(hub: Hub, config: ConsoleConfig, stream: TextIO | None = None) -> bool:
    out = stream or sys.stdout
    tag_reads: OrderedDict[str, str] = OrderedDict()

    def show(event: Event) -> None:
        kind = event.data.get("kind")
        if (kind == "lifecycle" and not config.lifecycle) or (kind == "acceptance" and not config.acceptance):
            return
        if event.event_type == EVENT_PLATE_READ and not event.data.get("plate") and event.data.get("rfid"):
            tag_reads[event.data["read_id"]] = event.data["rfid"]
            if len(tag_reads) > _TAG_READS_KEPT:
                tag_reads.popitem(last=False)
        print(format_event(event, tag_reads), file=out, flush=True)

    wanted: dict[str, bool] = {  # `show` takes any event
        EVENT_PLATE_READ: config.plate_reads,
        EVENT_GATE_DECISION: config.decisions,
        EVENT_PASSAGE_RECORDED: config.passages,
        EVENT_WEIGHT_STABLE: config.weights,
    }
    for event_type, on in wanted.items():
        if on:
            hub.async_on_stop(hub.bus.async_listen(event_type, show))
    return True
