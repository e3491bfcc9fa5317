"""Online verification (联网查询) during the decision: the policy asks the supervisory platform about the
vehicle through the uplink's internal `uplink.vehicle_check` service, within a hard time budget, so the
barrier never waits on a slow network.

- `policy.online_check.mode`: `never`, `unregistered` (only vehicles the local register does not hold;
  the default) or `always`; nothing is asked where no platform offers a check (no such service).
- On time-out or error the local register decides, and the passage says so (its reason text and the
  `platform_check` entry of its vehicle snapshot).
- The platform's answer (allow/deny, reason, emission stage, fuel, VIN, fleet, its serial number) is
  recorded with the passage in the vehicle snapshot, `platform_check`, with the SHA-256 of the answer as
  it came: the evidence of what the platform said.
- An allow fills in what the local register lacks for the decision (an unregistered vehicle is decided
  by the platform's stage and fuel); a deny is never overridden silently: it stands over a local allow
  (a guard's release is the explicit, audited way past it), on exits it is kept as the reason.
- `update_register`: the platform's data then fills or updates the register entry through
  `vehicles.upsert` (door `platform`, so the audit log and the register's history name the platform);
  this runs after the barrier decision, never before it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Context

from .const import Verdict
from .decide import Decision, Read, decide, render
from .register_lookup import snapshot

if TYPE_CHECKING:
    from .incoming import Incoming
    from .manager import PolicyManager

_LOGGER = logging.getLogger(__name__)
SERVICE = ("uplink", "vehicle_check")
PLATFORM_DENIED = "platform_denied"
TEXTS = {
    PLATFORM_DENIED: "监管平台不予通行：{reason}",
    "timeout": "联网查询超时，按本地备案判定",
    "error": "联网查询失败，按本地备案判定",
}
REGISTER_KEYS = ("emission_stage", "fuel", "vin", "registration_date", "brand_model", "usage", "fleet")


@dataclass(frozen=True, slots=True)
class Where:
    """A read and the lane it was made at (what an `Incoming` carries; a guard's correction makes one)."""

    read: Read
    gate: str
    lane: str


class OnlineCheckConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["never", "unregistered", "always"] = "unregistered"
    budget_ms: int = Field(800, ge=50, le=5000)  # the barrier waits this long for the platform at most
    update_register: bool = True  # fill or update the register entry from the platform's answer


def wanted(config: OnlineCheckConfig, hub: Any, plate: str, record: Mapping[str, Any] | None) -> bool:
    if config.mode == "never" or not plate or not hub.services.has_service(*SERVICE):
        return False
    registered = record is not None and record.get("registered") is not False
    return config.mode == "always" or not registered


async def async_ask(
    hub: Any, incoming: Incoming | Where, budget_s: float
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the platform's answer or None, what the passage records of the attempt)."""
    read = incoming.read
    query = {"plate": read.plate, "colour": read.colour, "gate": incoming.gate, "lane": incoming.lane,
             "direction": read.direction}  # fmt: skip
    started = time.monotonic()
    outcome, answer, error = "answered", None, None
    try:
        async with asyncio.timeout(budget_s):
            answer = await hub.services.async_call(*SERVICE, query, Context())
    except TimeoutError:
        outcome = "timeout"
    except Exception as err:
        outcome, error = "error", f"{type(err).__name__}: {err}"[:200]
    note: dict[str, Any] = {"outcome": outcome, "elapsed_ms": round((time.monotonic() - started) * 1000)}
    if error:
        note["error"] = error
    if isinstance(answer, Mapping):
        kept = ("platform", "verdict", "reason", "serial", "answer_sha256", "answer", "unmapped")
        note |= {k: answer.get(k) for k in kept if answer.get(k) not in (None, "", [])}
        note["vehicle"] = dict(answer.get("vehicle") or {})
        return dict(answer), note
    return None, note


def _merged(record: Mapping[str, Any] | None, answer: Mapping[str, Any]) -> dict[str, Any] | None:
    """The register's record with the platform's data laid over it (an allow of a vehicle the register
    does not hold makes one from the platform's data alone)."""
    data = {k: v for k, v in (answer.get("vehicle") or {}).items() if k in REGISTER_KEYS and v}
    if record is not None and record.get("registered") is not False:
        return {**record, **data}
    if answer.get("verdict") != "allow" or not data.get("emission_stage"):
        # Not let in on the platform's word without a stage to apply the rules to: never a default.
        return None if record is None else dict(record)
    return {**(record or {}), "vehicle_class": "transport", **data, "registered": True}


async def async_decide(
    manager: PolicyManager,
    incoming: Incoming | Where,
    record: Mapping[str, Any] | None,
    failed: bool,
    *,
    level: str,
    measure_code: int | None,
    when: datetime,
) -> tuple[Decision, dict[str, Any]]:
    """The decision and the vehicle snapshot the passage records, the platform asked where it should be."""
    book, read = manager.book, incoming.read

    def local(rec: Mapping[str, Any] | None) -> Decision:
        vehicle = manager.register.vehicle_of(rec)
        return decide(book, read, vehicle, level=level, measure_code=measure_code, when=when,
                      lookup_failed=failed)  # fmt: skip

    config: OnlineCheckConfig = manager.config.online_check
    if failed or not wanted(config, manager.hub, read.plate, record):
        return local(record), snapshot(record)
    answer, note = await async_ask(manager.hub, incoming, config.budget_ms / 1000)
    if answer is None:  # the local register decides, and the passage says so
        decision = local(record)
        text = f"{decision.reason_text}（{TEXTS[note['outcome']]}）"
        return replace(decision, reason_text=text[:500]), {**snapshot(record), "platform_check": note}
    merged = _merged(record, answer)
    decision = local(merged)
    vehicle = {**snapshot(merged), "platform_check": note}
    if record is None or record.get("registered") is False:
        vehicle["registered"] = False  # decided on the platform's data; our register does not hold it
    if answer.get("verdict") != "allow" and decision.verdict is not Verdict.DENY:
        reason = answer.get("reason") or "未说明原因 no reason given"
        text = render(TEXTS[PLATFORM_DENIED], {"reason": str(reason)})
        if read.direction in book.options.enforce_directions:
            decision = Decision(Verdict.DENY, PLATFORM_DENIED, text, None, decision.needs_review,
                                decision.vehicle_class)  # fmt: skip
        else:  # exits are recorded, not blocked: the platform's deny stays the reason
            exit_text = render(book.texts["exit_recorded"], {"reason": text})
            decision = replace(decision, reason_text=exit_text, needs_review=True)
    if config.update_register and answer.get("vehicle"):
        update = async_update_register(manager.hub, read.plate, read.colour, record, answer)
        manager.hub.async_create_task(update, name="platform register")
    return decision, vehicle


async def async_update_register(
    hub: Any, plate: str, colour: str, record: Mapping[str, Any] | None, answer: Mapping[str, Any]
) -> None:
    """Fill or update the register entry with what the platform said (audited, door `platform`)."""
    if not hub.services.has_service("vehicles", "upsert"):
        return
    data = {k: v for k, v in (answer.get("vehicle") or {}).items() if k in REGISTER_KEYS and v}
    entry_now = record if record is not None and record.get("registered") is not False else None
    registered = entry_now is not None
    if entry_now is not None:
        data = {k: v for k, v in data.items() if str(entry_now.get(k) or "") != str(v)}
    if not data:
        return
    vclass = "transport"
    # the register's own plate colour names the entry (the camera may have seen another)
    if entry_now is not None:
        vclass = str(entry_now.get("vehicle_class") or "transport")
        colour = str(entry_now.get("colour") or colour)
    entry = {"plate": plate, **({"colour": colour} if colour and colour != "unknown" else {}), **data}
    try:
        call = {"class": vclass, "record": entry, "mode": "merge"}
        await hub.services.async_call("vehicles", "upsert", call, Context(), door="platform")
        _LOGGER.info("Policy: register entry of %s %s from the platform: %s", plate,
                     "updated" if registered else "filled", sorted(data))  # fmt: skip
    except Exception as err:  # a new entry often lacks what the register requires: said, not shouted
        level = logging.WARNING if registered else logging.INFO
        _LOGGER.log(level, "Policy: the platform's data for %s not taken into the register: %s", plate, err)
