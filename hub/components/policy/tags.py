"""RFID tags (电子标签) at a lane: a tag identifies a register entry, and it must agree with the plate.

A lane binds a reader's sensor as its `rfid` part (lanes.py). At a lane with no plate camera each new
tag is the lane's read: the register entry holding the tag becomes the passage's vehicle, its plate
(or, for machinery without one, its register key) the passage's plate. At a lane with a camera the tag
the reader saw within `read_max_age_seconds` rides with the plate read; when the tag belongs to another
entry than the plate (or the plate is not registered at all), the passage goes to the guard's review,
reason `rfid_mismatch` (车牌与电子标签不一致). Denials stay denials; exits are recorded, not held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hub.core import Context

from .const import Reason, Verdict
from .decide import Decision, Read
from .incoming import Incoming

if TYPE_CHECKING:
    from .manager import PolicyManager

_LOGGER = logging.getLogger(__name__)
RFID_MISMATCH = "rfid_mismatch"
MISMATCH_TEXT = "车牌与电子标签不一致"
MAX_PLATE = 16  # what the ledger keeps as the passage's plate


async def async_tag_record(manager: PolicyManager, tag: str, context: Context) -> Mapping[str, Any] | None:
    """The register entry holding `tag`, or None (unknown tag, no register, or it did not answer)."""
    hub = manager.hub
    if not hub.services.has_service("vehicles", "lookup"):
        return None
    if context.user_id is not None:
        context = Context(parent_id=context.id)
    try:
        async with asyncio.timeout(manager.config.lookup_timeout):
            record = await hub.services.async_call("vehicles", "lookup", {"tag": tag}, context)
    except Exception as err:
        _LOGGER.warning("Policy: register lookup of RFID tag %s failed: %s", tag, err)
        return None
    if not isinstance(record, Mapping) or record.get("registered") is False:
        return None  # the tag is not in the register (a blacklisted plate alone holds no tag)
    return record


def identified(incoming: Incoming, record: Mapping[str, Any]) -> Incoming:
    """A read with no plate, named by the tag's register entry: its plate, else its key."""
    names = [record.get("plate"), record.get("key"), record.get("env_code"), record.get("internal_no")]
    name = next((str(n) for n in names if n and len(str(n)) <= MAX_PLATE), str(record.get("key"))[:MAX_PLATE])
    read = Read(
        plate=name,
        colour=str(record.get("colour") or "unknown"),
        direction=incoming.read.direction,
        confidence=None,
        needs_review=False,
    )
    return replace(incoming, read=read, plate_problem=None)


def disagrees(tag_record: Mapping[str, Any], plate_record: Mapping[str, Any] | None) -> bool:
    if plate_record is None or plate_record.get("registered") is False:
        return True  # the plate is unknown, the tag is someone's
    return (tag_record.get("vehicle_class"), tag_record.get("key")) != (
        plate_record.get("vehicle_class"),
        plate_record.get("key"),
    )


def mismatch_decision(
    decision: Decision, tag: str, tag_record: Mapping[str, Any], enforced: bool
) -> Decision:
    """The decision when plate and tag disagree: the guard reviews (a denial stays one)."""
    text = f"{MISMATCH_TEXT}：标签{tag}属于{tag_record.get('key')}"
    if decision.verdict is Verdict.DENY:
        return replace(decision, needs_review=True, reason_text=f"{decision.reason_text}；{text}"[:500])
    if not enforced:  # exits are recorded, not blocked
        return replace(
            decision,
            reason_code=Reason.EXIT,
            reason_text=f"{decision.reason_text}；{text}"[:500],
            needs_review=True,
        )
    return Decision(Verdict.REVIEW, RFID_MISMATCH, text, None, True, decision.vehicle_class)
