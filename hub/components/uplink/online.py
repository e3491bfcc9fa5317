"""Online verification (联网查询): `uplink.vehicle_check`, an internal service the policy awaits while it
decides, within its own time budget (policy/online_check.py).

The first platform whose profile has a `vehicle_check` message (and whose entry does not say
`vehicle_check: false`) is asked. The answer is read by the profile's `answer` rules: the verdict
(anything but the profile's allow value is a deny), the reason, the vehicle's data, the serial number the
platform issued. A value outside our code lists is left out and named in `unmapped`, never guessed.
The whole answer comes back as canonical JSON with its SHA-256: the policy records it with the passage
as the evidence of what the platform said.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import HubError, ServiceCall

from .const import DOMAIN
from .mapping import MappingError, build_body, get_path, map_fields, map_inbound
from .stream import Stream

if TYPE_CHECKING:
    from . import Uplink
    from .link import PlatformLink

MSG_VEHICLE_CHECK = "vehicle_check"
MSG_ONE_POLICY = "one_policy"
ANSWER_LIMIT = 4000  # characters of the platform's answer kept with the passage
VEHICLE_KEYS = ("emission_stage", "fuel", "vin", "registration_date", "brand_model", "usage", "fleet")


class VehicleCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str = Field(min_length=1, max_length=16)
    colour: str = Field("unknown", max_length=16)
    gate: str = Field(min_length=1, max_length=32)
    lane: str = Field("", max_length=32)
    direction: Literal["in", "out"] = "in"


def checking_link(uplink: Uplink) -> PlatformLink | None:
    for link in uplink.links.values():
        if link.conf.vehicle_check and MSG_VEHICLE_CHECK in link.profile.messages:
            if hasattr(link.transport, "async_query"):
                return link
    return None


def read_answer(profile: Any, spec: Any, answer: Any) -> dict[str, Any]:
    """The platform's answer in our names: verdict, reason, serial, vehicle, unmapped."""
    part = get_path(answer, spec.answer_field) if spec.answer_field else answer
    part = part if isinstance(part, Mapping) else {}
    out: dict[str, Any] = {}
    unmapped: list[str] = []
    for ours, rule in spec.answer.items():
        try:
            out |= map_inbound(profile, spec.model_copy(update={"fields": {ours: rule}}), part)
        except MappingError as err:  # a verdict outside the list is a deny, not a fault
            if ours != "verdict":
                unmapped.append(str(err))
    verdict = out.pop("verdict", None)
    vehicle = {k: _plain(out[k]) for k in VEHICLE_KEYS if out.get(k) not in (None, "")}
    return {
        "verdict": "allow" if verdict == "allow" else "deny",
        "reason": str(out.get("reason") or "")[:200],
        "serial": str(out["serial"])[:64] if out.get("serial") else None,
        "vehicle": vehicle,
        "unmapped": unmapped,
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:100]


async def async_vehicle_check(link: PlatformLink, data: VehicleCheck) -> dict[str, Any]:
    profile = link.profile
    spec = profile.messages[MSG_VEHICLE_CHECK]
    source = {**data.model_dump(), "barrier": f"{data.gate}_{data.lane}", "plant": link.plant}
    try:
        record = map_fields(profile, spec.fields, source)
    except MappingError as err:
        raise HubError(f"联网查询无法编码 the check cannot be encoded: {err}") from None
    body = build_body(profile, spec, [record], link.envelope_context())
    started = time.monotonic()
    answer = await link.transport.async_query(MSG_VEHICLE_CHECK, body)  # type: ignore[attr-defined]  # only HTTP transports query
    elapsed = round((time.monotonic() - started) * 1000)
    text = json.dumps(answer, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    result = read_answer(profile, spec, answer)
    link.succeeded()
    return {
        "platform": link.name,
        **result,
        "elapsed_ms": elapsed,
        "answer": text[:ANSWER_LIMIT],
        "answer_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }


def register(hub: Any, uplink: Uplink) -> None:
    if checking_link(uplink) is None:
        return  # no platform offers a check: the policy decides on the local register alone

    async def vehicle_check(call: ServiceCall) -> dict[str, Any]:
        link = checking_link(uplink)
        if link is None:
            raise HubError("没有提供联网查询的平台 no platform offers a vehicle check")
        if link.failing:  # known to be down: answer at once rather than spend the barrier's budget
            link.checks["skipped"] += 1
            raise HubError(f"监管平台不可达 platform unreachable: {link.last_error}")
        try:
            answer = await async_vehicle_check(link, call.data)
        except asyncio.CancelledError:  # the policy's budget ran out first
            link.checks["abandoned"] += 1
            raise
        except Exception:
            link.checks["failed"] += 1
            raise
        link.checks[answer["verdict"]] += 1
        return answer

    hub.services.async_register(
        DOMAIN, MSG_VEHICLE_CHECK, vehicle_check, VehicleCheck, internal=True,
        description="联网查询 ask the supervisory platform about a vehicle (the policy, while it decides)",
    )  # fmt: skip


class OnePolicyStream(Stream):
    """一厂一策 (shareOneCtrlOnePolicyData): asked on the profile's schedule (daily unless it says), the
    raw answer kept as it came (shown by `uplink.status`)."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link, MSG_ONE_POLICY, 86400.0)
        self.answer: dict[str, Any] | None = None

    @property
    def wanted(self) -> bool:
        return MSG_ONE_POLICY in self.link.profile.messages and hasattr(self.link.transport, "async_query")

    async def async_step(self) -> bool:
        link = self.link
        spec = link.profile.messages[MSG_ONE_POLICY]
        body = map_fields(link.profile, spec.envelope, link.envelope_context())
        answer = await link.transport.async_query(MSG_ONE_POLICY, body)  # type: ignore[attr-defined]  # only HTTP transports query
        self.answer = {"at": self.hub.now().isoformat(), "answer": answer}
        link.succeeded()
        return False
