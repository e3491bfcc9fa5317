"""The HTTP push door: stations and remote-sensing units POST one JSON document each.

POST /api/airquality/station/<key>          a station with `source: http` (its field map)
POST /api/airquality/remote_sensing/<key>   a remote-sensing unit with `source: http`
Each with its own token in `Authorization: Bearer <token>` (or `X-Auth-Token`). Answers 200
{"ok": true} or 4xx {"ok": false, "error": ...}: 401 wrong token, 404 no such pushing source, 413
too large, 422 a document the field map cannot read.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from hub.core import Hub
from hub.util.http import quiet_bad_requests

from .badinput import BadInputLog
from .config import Push
from .fieldmap import MAX_DOCUMENT_BYTES, FieldMapError, load_document
from .ingest import StationFieldMap
from .remote import RemoteSensingData

_LOGGER = logging.getLogger(__name__)


def _fail(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _token(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-Auth-Token", "")


class PushDoor:
    def __init__(
        self, hub: Hub, conf: Push, stations: dict[str, StationFieldMap], units: dict[str, RemoteSensingData]
    ) -> None:
        self.hub = hub
        self.conf = conf
        self.stations = stations
        self.units = units
        self.port = conf.port
        self.bad = BadInputLog(_LOGGER, "Air-quality push", hub.clock.monotonic)
        self._runner: web.AppRunner | None = None

    async def async_start(self) -> int:
        quiet_bad_requests()
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES)
        app.router.add_post("/api/airquality/station/{key}", self._station)
        app.router.add_post("/api/airquality/remote_sensing/{key}", self._unit)
        # No access log: a token is never in the URL, but a unit's address book need not be in the log.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.conf.host, self.conf.port)
        await site.start()
        addresses = self._runner.addresses  # the port the system chose when configured as 0
        self.port = addresses[0][1] if addresses else self.conf.port
        _LOGGER.info("Air-quality push on http://%s:%d/api/airquality/...", self.conf.host, self.port)
        return self.port

    async def async_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _ingest(
        self, request: web.Request, token: str | None, who: str, ingest: Callable[[dict[str, Any]], Any]
    ) -> web.Response:
        peer = request.remote or "?"
        if not token or not hmac.compare_digest(_token(request).encode(), token.encode()):
            self.bad.refused(peer, f"wrong token for {who}")
            return _fail(401, "wrong token")
        if request.content_length is not None and request.content_length > MAX_DOCUMENT_BYTES:
            return _fail(413, f"at most {MAX_DOCUMENT_BYTES} bytes")
        try:
            result = ingest(load_document(await request.read()))
        except web.HTTPRequestEntityTooLarge:
            return _fail(413, f"at most {MAX_DOCUMENT_BYTES} bytes")
        except FieldMapError as err:
            self.bad.refused(peer, f"{who}: {err}")
            return _fail(422, str(err))
        answer = {"ok": True}
        if isinstance(result, dict) and "reading_id" in result:
            answer["reading_id"] = result["reading_id"]
        return web.json_response(answer)

    async def _station(self, request: web.Request) -> web.Response:
        fmap = self.stations.get(request.match_info["key"])
        if fmap is None:
            return _fail(404, "no such pushing station")
        ingest = functools.partial(fmap.ingest, source="http")
        return await self._ingest(request, fmap.station.conf.token, f"station {fmap.station.key}", ingest)

    async def _unit(self, request: web.Request) -> web.Response:
        unit = self.units.get(request.match_info["key"])
        if unit is None:
            return _fail(404, "no such pushing remote-sensing unit")
        return await self._ingest(
            request, unit.conf.token, f"remote-sensing unit {unit.key}", unit.async_ingest
        )
