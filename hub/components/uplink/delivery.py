"""Sending records of one message kind: map them, build the body, send, and when the platform refuses the
request as a whole, split it until the bad record stands alone, so that one bad record never holds back
the others."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .const import REJECTED
from .mapping import MappingError, build_body, data_uri, map_fields
from .transport import BatchRejected, Outcome

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
Entry = tuple[str, Mapping[str, Any]]  # (record id, source dict)


async def async_deliver(link: PlatformLink, message: str, entries: Sequence[Entry]) -> dict[str, Outcome]:
    """Outcome per record id; raises TransportError when the platform cannot be reached."""
    profile = link.profile
    spec = profile.messages[message]
    outcomes: dict[str, Outcome] = {}
    items: list[tuple[str, dict[str, Any]]] = []
    for rid, source in entries:
        if why := source.get("_unmappable"):
            outcomes[rid] = Outcome(REJECTED, f"映射失败 cannot map: {why}", local=True)
            continue
        try:
            item = map_fields(profile, spec.fields, source)
        except Exception as err:  # whatever one record holds, it is parked and the others go on
            text = str(err) if isinstance(err, MappingError) else f"{type(err).__name__}: {err}"
            _LOGGER.warning("Uplink %s: %s %s cannot be mapped: %s", link.name, message, rid, text)
            outcomes[rid] = Outcome(REJECTED, f"映射失败 cannot map: {text}", local=True)
            continue
        photos = source.get("_photos") or {}
        for role, field in profile.photos.fields.items():
            if role in photos:
                data = photos[role]
                item[field] = data_uri(data) if profile.photos.data_uri else base64.b64encode(data).decode()
        items.append((rid, item))
        if photos:
            await asyncio.sleep(0)  # a record's photos are encoded, the loop gets a turn
    if spec.batch:
        await _send_split(link, message, items, outcomes)
    else:
        for one in items:
            await _send_split(link, message, [one], outcomes)
    return outcomes


async def _send_split(
    link: PlatformLink, message: str, items: list[tuple[str, dict[str, Any]]], outcomes: dict[str, Outcome]
) -> None:
    if not items:
        return
    spec = link.profile.messages[message]
    ids = [rid for rid, _ in items]
    body = build_body(link.profile, spec, [item for _, item in items], link.envelope_context())
    try:
        answer = await link.transport.async_send(message, body, ids)
    except BatchRejected as err:
        if len(items) == 1:
            outcomes[ids[0]] = Outcome(REJECTED, str(err)[:500])
            return
        _LOGGER.info("Uplink %s: %s batch of %d refused (%s); splitting", link.name, message, len(items), err)
        half = len(items) // 2
        await _send_split(link, message, items[:half], outcomes)
        await _send_split(link, message, items[half:], outcomes)
        return
    link.note_request(len(items))
    outcomes.update(answer)
