"""The streams beside the ledger: alert-level switches (as they happen), the day's statistics (scheduled)
and the platform's control measure (pulled, or pushed over TCP)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from hub.core.validation import PlausibleDatetime

from .const import ACCEPTED, DUPLICATE, MSG_ALERT_LEVEL, MSG_CONTROL, MSG_DAILY_STATS, REJECTED
from .mapping import MappingError, map_fields, map_inbound
from .messages import alert_source, daily_stats_source
from .models import UplinkMessage
from .store import Places, Progress
from .stream import Stream
from .transport import Outcome, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
SETTLED = (ACCEPTED, DUPLICATE, REJECTED)
STATS_CATCH_UP_DAYS = 7  # after an outage, the statistics of this many past days are still sent
PLAUSIBLE = TypeAdapter(PlausibleDatetime)  # a platform's dates are bounded like every other door's


# ----- alert-level switches -------------------------------------------------------------------------
class AlertStream(Stream):
    """Switches of the alert level, queued in the uplink's own table as they happen, sent in order."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link, MSG_ALERT_LEVEL, link.uplink.idle_poll_seconds)

    @property
    def wanted(self) -> bool:
        return MSG_ALERT_LEVEL in self.link.profile.messages

    async def async_queue(self, data: Mapping[str, Any], context_id: str) -> None:
        if not self.wanted:
            return
        now = self.hub.now()
        payload = {k: v for k, v in data.items() if k != "user_id"}
        await UplinkMessage.create(
            platform=self.link.name, kind=MSG_ALERT_LEVEL, message_id=f"alert-{context_id}",
            payload=json.dumps({"data": payload, "at": now.isoformat()}, ensure_ascii=False, default=str),
            created_at=now.isoformat(),
        )  # fmt: skip
        self.wake()

    async def async_step(self) -> bool:
        link = self.link
        row = await UplinkMessage.filter(platform=link.name, status="pending").order_by("id").first()
        if row is None:
            return False
        try:
            stored = json.loads(row.payload)
            at = datetime.fromisoformat(stored["at"])
            source = alert_source(stored["data"], row.message_id, at, link.plant)
        except Exception as err:  # kept by an older release, or damaged: parked, never retried for ever
            outcome = Outcome(REJECTED, f"无法编码 cannot encode: {type(err).__name__}: {err}", local=True)
        else:
            outcome = (await link.async_deliver(MSG_ALERT_LEVEL, [(row.message_id, source)]))[row.message_id]
        if outcome.status not in SETTLED:
            raise Unconfirmed(f"alert-level switch {row.message_id} not confirmed")
        row.status = "rejected" if outcome.status == REJECTED else "accepted"
        row.answer = outcome.message[:500]
        await row.save(update_fields=["status", "answer"])
        if row.status == "rejected":
            _LOGGER.warning("Uplink %s: alert-level switch refused: %s", link.name, outcome.message)
            progress, day = Progress(), row.created_at[:10]
            progress.park(row.message_id, MSG_ALERT_LEVEL, day, outcome.message, outcome.local)
            await link.store.async_save(progress)
            link.notify()
        if not outcome.local:
            link.succeeded()
        return True


# ----- daily statistics -----------------------------------------------------------------------------
class DailyStatsStream(Stream):
    """Each past day's statistics, once the profile's time of day has passed, until the platform answers."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link, MSG_DAILY_STATS, link.uplink.schedule_check_seconds)
        self.since = ""  # the day the platform was configured: no statistics before it

    def restore(self, places: Places) -> None:
        self.since = places.created_day

    @property
    def wanted(self) -> bool:
        return MSG_DAILY_STATS in self.link.profile.messages

    def days_due(self, now: datetime) -> list[str]:
        """Past days whose statistics are due by now and not yet answered, oldest first."""
        link = self.link
        schedule = link.profile.schedule_of(MSG_DAILY_STATS, link.conf.schedule)
        local = now.astimezone(link.profile.tz)
        hour, minute = (int(x) for x in schedule.split(":")) if ":" in schedule else (0, 0)
        last = local.date() - timedelta(days=1 if (local.hour, local.minute) >= (hour, minute) else 2)
        first = max(date.fromisoformat(self.since), last - timedelta(days=STATS_CATCH_UP_DAYS - 1))
        days = []
        while first <= last:
            counts = link.store.days.get(first.isoformat())
            if counts is None or counts.stats_status not in ("accepted", "rejected"):
                days.append(first.isoformat())
            first += timedelta(days=1)
        return days

    async def async_send(self, day: str) -> dict[str, Any]:
        link = self.link
        stats = await self.hub.services.async_call("ledger", "daily_stats", {"date": day})
        source = daily_stats_source({**stats, "date": day}, link.plant)
        rid = source["record_id"]
        outcome = (await link.async_deliver(MSG_DAILY_STATS, [(rid, source)]))[rid]
        if outcome.status not in SETTLED:
            raise Unconfirmed(f"daily statistics of {day} not confirmed")
        status = "rejected" if outcome.status == REJECTED else "accepted"
        await link.store.async_set_report(day, status, outcome.message)
        if status == "rejected":
            _LOGGER.warning("Uplink %s: statistics of %s refused: %s", link.name, day, outcome.message)
        link.succeeded()
        link.notify()
        return {"date": day, "status": status, "message": outcome.message}

    async def async_step(self) -> bool:
        if not self.hub.services.has_service("ledger", "daily_stats"):
            self.link.warn_once("daily_stats", "the ledger has no daily_stats service yet; statistics wait")
            return False
        days = self.days_due(self.hub.now())
        if not days:
            return False
        await self.async_send(days[0])
        return True


# ----- control measure ------------------------------------------------------------------------------
class ControlStream(Stream):
    """The platform's control measure -> policy.set_alert_level, once per measure id. HTTP platforms are
    asked every `control_poll_seconds`; a TCP platform pushes it (the link hands it to `async_apply`)."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link, MSG_CONTROL, link.uplink.control_poll_seconds)
        self.measure_id: str | None = None  # the last measure applied

    def restore(self, places: Places) -> None:
        self.measure_id = places.control_id

    @property
    def wanted(self) -> bool:
        return self.link.profile.transport == "http" and MSG_CONTROL in self.link.profile.messages

    async def async_step(self) -> bool:
        link = self.link
        spec = link.profile.messages[MSG_CONTROL]
        params = map_fields(link.profile, spec.envelope, link.envelope_context()) if spec.envelope else {}
        params = params or {"plantCode": link.plant["code"]}
        data = await link.transport.async_fetch(MSG_CONTROL, params)
        link.succeeded()
        if isinstance(data, Mapping) and data:
            await self.async_apply(data)
        return False

    async def async_apply(self, payload: Mapping[str, Any]) -> None:
        link = self.link
        try:
            measure = map_inbound(link.profile, link.profile.messages[MSG_CONTROL], payload)
            for key in ("start", "end"):
                if isinstance(measure.get(key), datetime):
                    measure[key] = PLAUSIBLE.validate_python(measure[key])
        except (MappingError, ValidationError) as err:
            _LOGGER.warning(
                "Uplink %s: control measure not understood: %s (%s)", link.name, err, dict(payload)
            )
            return
        measure_id = str(measure.get("id") or json.dumps(dict(payload), sort_keys=True, default=str))[:128]
        if measure_id == self.measure_id:
            return
        end = measure.get("end")
        if isinstance(end, datetime) and end <= self.hub.now():
            _LOGGER.info("Uplink %s: control measure %s already ended", link.name, measure_id)
        elif not self.hub.services.has_service("policy", "set_alert_level"):
            link.warn_once("policy", "no policy component: the platform's control measures are not applied")
            return
        else:
            keys = ("level", "response_level", "measure_code", "measure", "start", "end")
            data = {k: measure[k] for k in keys if measure.get(k) is not None}
            data |= {"source": "platform", "reason": f"监管平台 {link.conf.label} 管控措施 {measure_id}"}
            try:
                await self.hub.services.async_call("policy", "set_alert_level", data)
                _LOGGER.info("Uplink %s: control measure %s applied: %s", link.name, measure_id, data)
            except Exception as err:  # refused by the policy: logged and audited there, not retried
                _LOGGER.warning(
                    "Uplink %s: control measure %s refused by the policy: %s", link.name, measure_id, err
                )
        self.measure_id = measure_id
        await link.store.async_save(Progress(), control_id=measure_id)
