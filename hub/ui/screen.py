"""大屏: the plant's figures for the control room's big screen and the embeddable widgets.

Counts, mixes and tonnage come from the reports component (`reports.statistics`,
`reports.clean_transport`). Today's figures are asked again half a second after a passage is recorded
(a burst of passages costs one query), so the screen moves within a second of a truck. The month's are
the month's earlier days, asked at most every ten minutes (they change only by late corrections, and on
a two-year ledger asking takes seconds), plus today's; the clean-transport ratio likewise. What is
live by nature (lanes, alert level, uploads, device health, data-quality warnings) is read from states
when asked. Each refresh is announced as `plant_figures` on the bus, which the live feed carries.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hub.core import Event, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.core.events import PassageRecordedData

from .const import ALERT_ENTITY, EVENT_PLANT_FIGURES, UPLINK_PREFIX

_LOGGER = logging.getLogger(__name__)
TODAY_DELAY = 0.5  # seconds after a passage: a burst of them costs one query
MONTH_EVERY = 600.0  # the month's earlier days change only by late corrections; asking costs seconds
QUALITY_TOTAL = "sensor.quality_open_findings"  # seconds between refreshes of the month's figures
_UPLOAD = re.compile(
    rf"^{re.escape(UPLINK_PREFIX)}(?P<name>.+)_"
    r"(?P<what>pending|sent_today|acknowledged_today|rejected_today|upload_rate)$"
)


def _mix(breakdown: dict[str, dict[str, int]]) -> dict[str, int]:
    """`{"5/diesel": {"in": 3, "out": 2}}` -> `{"5/diesel": 5}`, largest first."""
    totals = {key: int(v.get("in", 0)) + int(v.get("out", 0)) for key, v in breakdown.items()}
    return dict(sorted(((k, n) for k, n in totals.items() if n), key=lambda kv: -kv[1]))


def figures_of(stats: dict[str, Any] | None) -> dict[str, Any] | None:
    """The few numbers a screen shows, from a `reports.statistics` answer."""
    if not stats:
        return None
    totals = stats["totals"]
    return _with_compliance({
        "in": totals["in"],
        "out": totals["out"],
        "allowed": totals["allow"],
        "decided": totals["allow"] + totals["deny"] + totals["review"],
        "denied": totals["deny"],
        "released": totals.get("released", 0),
        "tonnes_in": stats["tonnage"]["in"],
        "tonnes_out": stats["tonnage"]["out"],
        "stage_mix": _mix(stats.get("by_stage", {})),
        "fuel_mix": _mix(stats.get("by_fuel", {})),
    })  # fmt: skip


def _with_compliance(f: dict[str, Any]) -> dict[str, Any]:
    f["compliance"] = round(f["allowed"] / f["decided"], 4) if f["decided"] else None
    return f


def added(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """The figures of two spans of days as one (the month: its earlier days and today)."""
    if a is None or b is None:
        return a or b
    out: dict[str, Any] = {}
    for key, value in a.items():
        if isinstance(value, dict):
            mix = {k: value.get(k, 0) + b[key].get(k, 0) for k in {*value, *b[key]}}
            out[key] = dict(sorted(mix.items(), key=lambda kv: -kv[1]))
        elif key != "compliance":
            out[key] = round(value + b[key], 3)
    return _with_compliance(out)


class PlantScreen:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.today: dict[str, Any] | None = None
        self.earlier: dict[str, Any] | None = None  # this month before today
        self._earlier_of: date | None = None
        self.clean: dict[str, Any] | None = None
        self._month_at = float("-inf")
        self._timer: asyncio.TimerHandle | None = None
        self._unsub: Callable[[], None] | None = None

    def async_start(self) -> None:
        self._unsub = self.hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_passage)

    def async_stop(self) -> None:
        if self._unsub is not None:
            self._unsub()
        if self._timer is not None:
            self._timer.cancel()

    def _on_passage(self, _event: Event[PassageRecordedData]) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(TODAY_DELAY, self._refresh_soon)

    def _refresh_soon(self) -> None:
        self._timer = None
        self.hub.async_create_task(self.async_refresh(), name="ui plant figures")

    async def async_refresh(self) -> None:
        """Ask the reports component again (today always, the month when a minute has passed)."""
        if not self.hub.services.has_service("reports", "statistics"):
            return
        today = self.hub.now().date()
        day = today.isoformat()
        try:
            self.today = figures_of(await self._ask("statistics", {"period": "day", "date": day}))
            if self._earlier_of != today or self.hub.clock.monotonic() - self._month_at >= MONTH_EVERY:
                self.earlier = None
                if today.day > 1:
                    span = {"period": "custom", "start": today.replace(day=1).isoformat(),
                            "end": (today - timedelta(days=1)).isoformat()}  # fmt: skip
                    self.earlier = figures_of(await self._ask("statistics", span))
                self.clean = await self._ask("clean_transport", {"period": "month", "date": day})
                self._earlier_of, self._month_at = today, self.hub.clock.monotonic()
        except Exception:  # the screen shows the last figures; the log says why they are old
            _LOGGER.exception("Big screen: cannot refresh the plant's figures")
            return
        self.hub.bus.async_fire(EVENT_PLANT_FIGURES, {"today": self.today, "month": self.month})

    @property
    def month(self) -> dict[str, Any] | None:
        return added(self.earlier, self.today)

    async def _ask(self, service: str, data: dict[str, Any]) -> dict[str, Any]:
        result = await self.hub.services.async_call("reports", service, data)
        return result if isinstance(result, dict) else {}

    def snapshot(self) -> dict[str, Any]:
        clean = self.clean or {}
        return {
            "today": self.today,
            "month": self.month,
            "clean_transport": None if not clean else {
                "ratio": clean.get("ratio_without_new_energy"),
                "ratio_with_new_energy": clean.get("ratio_with_new_energy"),
                "target": clean.get("target"),
            },
            "alert": self._alert(),
            "uploads": self._uploads(),
            "devices": self._devices(),
            "quality": self._quality(),
        }  # fmt: skip

    def _alert(self) -> dict[str, Any] | None:
        state = self.hub.states.get(ALERT_ENTITY)
        if state is None:
            return None
        a = state.attributes
        return {"level": state.state, "response_level": a.get("response_level"), "measure": a.get("measure"),
                "measure_code": a.get("measure_code"), "end": a.get("end")}  # fmt: skip

    def _uploads(self) -> list[dict[str, Any]]:
        platforms: dict[str, dict[str, Any]] = {}
        for state in self.hub.states.all("sensor"):
            if (m := _UPLOAD.match(state.entity_id)) is None:
                continue
            name = m["name"]
            item = platforms.setdefault(name, {"platform": name, "name": self._device_name(state.entity_id)})
            item[m["what"]] = _number(state.state)
        return [platforms[k] for k in sorted(platforms)]

    def _devices(self) -> list[dict[str, Any]]:
        """Devices offline and problems on, by name: what the control room must look at."""
        out = []
        for state in self.hub.states.all("binary_sensor"):
            kind = state.attributes.get("device_class")
            on = state.state == "on"
            bad = (kind == "connectivity" and not on) or (kind == "problem" and on)
            if kind in ("connectivity", "problem"):
                out.append({"entity_id": state.entity_id, "name": state.attributes.get("friendly_name"),
                            "kind": kind, "ok": not bad})  # fmt: skip
        return sorted(out, key=lambda d: (d["ok"], d["entity_id"]))

    def _quality(self) -> list[dict[str, Any]]:
        """Open findings per data-quality rule (not the total, which repeats them)."""
        out = []
        for state in self.hub.states.all("sensor"):
            if state.entity_id == QUALITY_TOTAL:
                continue
            if state.attributes.get("unit_of_measurement") == "findings" and (_number(state.state) or 0) > 0:
                out.append({"entity_id": state.entity_id, "name": state.attributes.get("friendly_name"),
                            "open": _number(state.state)})  # fmt: skip
        return out

    def _device_name(self, entity_id: str) -> str | None:
        entity = self.hub.entities.get_entity(entity_id)
        info = entity.device_info if entity else None
        return info.name if info else None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
