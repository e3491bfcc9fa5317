"""The streams beside the ledger: register records (on change), the day's statistics (scheduled),
alert-level switches (as they happen) and the platform's control measure (pulled, or pushed over TCP)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from hub.core.validation import PlausibleDatetime

from . import register_feed
from .const import ACCEPTED, DUPLICATE, MSG_ALERT_LEVEL, MSG_CONTROL, MSG_DAILY_STATS, MSG_REGISTER, REJECTED
from .delivery import async_deliver
from .mapping import MappingError, map_fields, map_inbound
from .messages import alert_source, daily_stats_source, register_message, register_source
from .models import UplinkMessage
from .store import Progress
from .transport import Outcome, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
SETTLED = (ACCEPTED, DUPLICATE, REJECTED)
STATS_CATCH_UP_DAYS = 7  # after an outage, the statistics of this many past days are still sent
PLAUSIBLE = TypeAdapter(PlausibleDatetime)  # a platform's dates are bounded like every other door's


# ----- alert-level switches -------------------------------------------------------------------------
async def async_queue_alert(link: PlatformLink, data: Mapping[str, Any], context_id: str) -> None:
    if MSG_ALERT_LEVEL not in link.profile.messages:
        return
    now = link.hub.now()
    payload = {k: v for k, v in data.items() if k != "user_id"}
    await UplinkMessage.create(
        platform=link.name, kind=MSG_ALERT_LEVEL, message_id=f"alert-{context_id}",
        payload=json.dumps({"data": payload, "at": now.isoformat()}, ensure_ascii=False, default=str),
        created_at=now.isoformat(),
    )  # fmt: skip
    link.wake(scan=False)


async def async_alert_step(link: PlatformLink) -> bool:
    if not link.due(MSG_ALERT_LEVEL):
        return False
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
        outcome = (await async_deliver(link, MSG_ALERT_LEVEL, [(row.message_id, source)]))[row.message_id]
    if outcome.status not in SETTLED:
        raise Unconfirmed(f"alert-level switch {row.message_id} not confirmed")
    row.status = "rejected" if outcome.status == REJECTED else "accepted"
    row.answer = outcome.message[:500]
    await row.save(update_fields=["status", "answer"])
    if row.status == "rejected":
        _LOGGER.warning("Uplink %s: alert-level switch refused: %s", link.name, outcome.message)
        progress = Progress()
        progress.parked.append({
            "seq": None, "record_id": row.message_id, "passage_id": None, "kind": MSG_ALERT_LEVEL,
            "day": row.created_at[:10], "gate": None, "plate": None, "reason": outcome.message[:500],
            "source": "mapping" if outcome.local else "platform",
        })  # fmt: skip
        await link.save(progress, ())
        link.notify()
    if not outcome.local:
        link.succeeded()
    return True


# ----- register (three classes) ---------------------------------------------------------------------
async def async_register_step(link: PlatformLink) -> bool:
    """One batch of the register's changes past the cursor (register_feed.py); True while there may
    be more."""
    messages = [m for m in MSG_REGISTER.values() if m in link.profile.messages]
    hub = link.hub
    if not messages or not link.register_dirty or not link.due("register"):
        return False
    if not hub.services.has_service("vehicles", "changes"):  # no register
        link.register_dirty = False
        return False
    cursor = link.cursor
    # A batch's worth: every history row is read once (a read-ahead would hold no more than this).
    feed = await register_feed.async_changes(
        hub, cursor.register_seq, min(link.batch_size, register_feed.SLICE), cursor.register_ts
    )
    link.register_reads.note(feed.rows_read)
    if feed.rows_read == 0:
        link.register_dirty = False
        link.ran("register")
        return False
    window, stop = _register_window(link, feed.changes)
    outcomes = {
        c.record_id: Outcome(REJECTED, f"登记变更无法读取 unreadable change: {why}", local=True)
        for c in window
        if (why := c.item.get(register_feed.UNREADABLE))
    }
    for message in messages:
        entries = [(c.record_id, _register_source(link, c)) for c in window
                   if register_message_of(c.item) == message and c.record_id not in outcomes]  # fmt: skip
        if entries:
            outcomes |= await async_deliver(link, message, entries)
    progress, answered = Progress(), 0
    through, unconfirmed = cursor.register_seq, False
    sent = {change.seq for change in window}
    for change in feed.changes:
        if stop is not None and change.seq >= stop:
            break
        if change.seq in sent:
            outcome = outcomes[change.record_id]
            if outcome.status not in SETTLED:
                unconfirmed = True
                break  # not confirmed: from here on again next time
            _note_register_answer(link, change, outcome, progress)
            answered += 1
        through = change.seq
    if stop is None and not unconfirmed:
        through = feed.through  # blacklist and pass changes after our last one are passed over too
    moved, cursor.register_seq = through != cursor.register_seq, through
    if moved or progress:
        await link.save(progress, ("register_seq",))
    if window and not answered:
        raise Unconfirmed(f"the platform confirmed none of {len(window)} register records")
    if window:
        link.succeeded()
        link.notify()
    return True


def _register_window(
    link: PlatformLink, changes: list[register_feed.RegisterChange]
) -> tuple[list[register_feed.RegisterChange], int | None]:
    """The next batch: changes the profile sends, up to the batch size and before a record comes twice
    (its later version goes in the next batch, after the earlier one is answered); and the seq of the
    change that ended it (None: the whole slice was looked at)."""
    window: list[register_feed.RegisterChange] = []
    ids: set[str] = set()
    for change in changes:
        if register_message_of(change.item) not in link.profile.messages:
            continue
        if change.record_id in ids or len(window) >= link.batch_size:
            return window, change.seq
        ids.add(change.record_id)
        window.append(change)
    return window, None


def _register_source(link: PlatformLink, change: register_feed.RegisterChange) -> Any:
    try:
        return register_source(change.item, change.action, link.plant, link.profile.tz)
    except Exception:  # a stamp beyond any calendar: the record goes without it, the mapping decides
        return {**change.item, "record_id": change.record_id, "action": change.action, "plant": link.plant}


def _note_register_answer(
    link: PlatformLink, change: register_feed.RegisterChange, outcome: Outcome, progress: Progress
) -> None:
    if outcome.status != REJECTED:
        progress.unparked.append((None, change.record_id))  # accepted now: no longer parked, if it was
        return
    progress.parked.append({
        "seq": None, "record_id": change.record_id, "passage_id": None,
        "kind": change.item["class"], "day": link.today(), "gate": None,  # the column holds 16 characters
        "plate": change.item.get("plate"), "reason": (outcome.message or "被拒收")[:500],
        "source": "mapping" if outcome.local else "platform",
    })  # fmt: skip


def register_message_of(item: Mapping[str, Any]) -> str:
    return register_message(str(item.get("class")))


# ----- daily statistics -----------------------------------------------------------------------------
def stats_days(link: PlatformLink, now: datetime) -> list[str]:
    """Past days whose statistics are due by now and not yet answered, oldest first."""
    schedule = link.profile.schedule_of(MSG_DAILY_STATS, link.conf.schedule)
    local = now.astimezone(link.profile.tz)
    hour, minute = (int(x) for x in schedule.split(":")) if ":" in schedule else (0, 0)
    last = local.date() - timedelta(days=1 if (local.hour, local.minute) >= (hour, minute) else 2)
    first = max(date.fromisoformat(link.cursor.created_day), last - timedelta(days=STATS_CATCH_UP_DAYS - 1))
    days = []
    while first <= last:
        counts = link.store.days.get(first.isoformat())
        if counts is None or counts.stats_status not in ("accepted", "rejected"):
            days.append(first.isoformat())
        first += timedelta(days=1)
    return days


async def async_send_daily_stats(link: PlatformLink, day: str) -> dict[str, Any]:
    stats = await link.hub.services.async_call("ledger", "daily_stats", {"date": day})
    source = daily_stats_source({**stats, "date": day}, link.plant)
    rid = source["record_id"]
    outcome = (await async_deliver(link, MSG_DAILY_STATS, [(rid, source)]))[rid]
    if outcome.status not in SETTLED:
        raise Unconfirmed(f"daily statistics of {day} not confirmed")
    status = "rejected" if outcome.status == REJECTED else "accepted"
    await link.store.async_set_report(day, status, outcome.message, link.hub.now().isoformat())
    if status == "rejected":
        _LOGGER.warning("Uplink %s: statistics of %s refused: %s", link.name, day, outcome.message)
    link.succeeded()
    link.notify()
    return {"date": day, "status": status, "message": outcome.message}


async def async_daily_step(link: PlatformLink) -> bool:
    if MSG_DAILY_STATS not in link.profile.messages:
        return False
    if not link.hub.services.has_service("ledger", "daily_stats"):
        link.warn_once("daily_stats", "the ledger has no daily_stats service yet; statistics wait")
        return False
    days = stats_days(link, link.hub.now())
    if not days:
        return False
    await async_send_daily_stats(link, days[0])
    return True


# ----- control measure ------------------------------------------------------------------------------
async def async_control_step(link: PlatformLink) -> bool:
    if link.profile.transport != "http" or MSG_CONTROL not in link.profile.messages:
        return False
    loop_now = asyncio.get_running_loop().time()
    if loop_now < link.next_run.get(MSG_CONTROL, 0.0):
        return False
    link.next_run[MSG_CONTROL] = loop_now + link.uplink.control_poll_seconds
    spec = link.profile.messages[MSG_CONTROL]
    params = map_fields(link.profile, spec.envelope, link.envelope_context()) if spec.envelope else {}
    params = params or {"plantCode": link.plant["code"]}
    data = await link.transport.async_fetch(MSG_CONTROL, params)
    link.succeeded()
    if isinstance(data, Mapping) and data:
        await async_apply_control(link, data)
    return False


async def async_apply_control(link: PlatformLink, payload: Mapping[str, Any]) -> None:
    """The platform's control measure -> policy.set_alert_level (once per measure id)."""
    try:
        measure = map_inbound(link.profile, link.profile.messages[MSG_CONTROL], payload)
        for key in ("start", "end"):
            if isinstance(measure.get(key), datetime):
                measure[key] = PLAUSIBLE.validate_python(measure[key])
    except (MappingError, ValidationError) as err:
        _LOGGER.warning("Uplink %s: control measure not understood: %s (%s)", link.name, err, dict(payload))
        return
    measure_id = str(measure.get("id") or json.dumps(dict(payload), sort_keys=True, default=str))[:128]
    if measure_id == link.cursor.control_id:
        return
    end = measure.get("end")
    if isinstance(end, datetime) and end <= link.hub.now():
        _LOGGER.info("Uplink %s: control measure %s already ended", link.name, measure_id)
    elif not link.hub.services.has_service("policy", "set_alert_level"):
        link.warn_once("policy", "no policy component: the platform's control measures are not applied")
        return
    else:
        data = {k: measure[k] for k in ("level", "response_level", "measure_code", "measure", "start", "end")
                if measure.get(k) is not None}  # fmt: skip
        data |= {"source": "platform", "reason": f"监管平台 {link.conf.label} 管控措施 {measure_id}"}
        try:
            await link.hub.services.async_call("policy", "set_alert_level", data)
            _LOGGER.info("Uplink %s: control measure %s applied: %s", link.name, measure_id, data)
        except Exception as err:  # refused by the policy: logged and audited there, not retried
            _LOGGER.warning(
                "Uplink %s: control measure %s refused by the policy: %s", link.name, measure_id, err
            )
    link.cursor.control_id = measure_id
    await link.save(Progress(), ("control_id",))
