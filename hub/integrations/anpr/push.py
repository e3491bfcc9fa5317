"""Camera push: the HTTP endpoint that ANPR cameras call on every passage.

POST /api/anpr/push/<camera>   (camera = `<gate>_<lane>`, e.g. east_gate_in, configured with `source: push`)
- multipart/form-data: text fields plate, confidence, colour, direction, time; files plate_image, scene_image
- application/json: the same fields, images as base64 strings
- the camera's own token in `Authorization: Bearer <token>` (or `X-Auth-Token: <token>`); a token in the
  URL is refused, since URLs end up in logs
A camera that recognised the plate sends its text; without one (or with an unreadable one) the hub
recognises the images itself. Photos must be JPEG or PNG (415 otherwise). Answers 200 {"ok": true,
"read_id": ...} or 4xx {"ok": false, "error": ...}: 401 wrong token, 404 no such push camera, 409 a newer
frame of the lane was read instead, 429 too many pushes (Retry-After), 422 no plate found.
POST /api/anpr/heartbeat/<camera> keeps a camera marked online between vehicles.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from hub.util.http import quiet_bad_requests
from hub.util.images import NotAPhoto, check_photo
from hub.util.plate import PlateColour, normalise_plate, validate_plate

from .allowance import PushAllowance
from .camera import AnprCamera
from .frames import FrameDropped
from .lane import PlateRead

_LOGGER = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 24 * 1024 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_TIME_FORMATS = ("%Y%m%d %H%M%S", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y/%m/%d %H:%M:%S")
_DIRECTIONS = {"in": "in", "1": "in", "入": "in", "out": "out", "2": "out", "出": "out"}


class PushError(ValueError):
    """A push we cannot use; the message goes back to the camera (and to the log)."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers


@dataclass(slots=True)
class PushCamera:
    """A camera allowed to push: its lane, its own secret, and how fast it may push."""

    camera: AnprCamera
    token: str
    allowance: PushAllowance


@dataclass(slots=True)
class PushPayload:
    plate: str | None
    confidence: float | None
    colour: str | None
    direction: str | None
    time: str | None
    images: dict[str, bytes]


def parse_time(text: str | None, now: datetime) -> datetime:
    """The camera's capture time; a naive time is in the hub's zone. Missing: now."""
    if not text:
        return now
    text = text.strip()
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds or milliseconds
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, now.tzinfo)
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=now.tzinfo)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PushError(f"time {text[:40]!r} is not a date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)


def parse_colour(text: str | None) -> str | None:
    if not text:
        return None
    aliases = {
        "蓝": "blue",
        "黄": "yellow",
        "绿": "green",
        "白": "white",
        "黑": "black",
        "黄绿": "yellow_green",
    }
    value = aliases.get(text.strip().rstrip("色牌"), text.strip().lower())
    try:
        return PlateColour(value).value
    except ValueError:
        raise PushError(f"unknown plate colour {text[:20]!r}") from None


def _image(name: str, raw: Any) -> bytes:
    if isinstance(raw, str):
        try:
            raw = base64.b64decode(raw.split(",", 1)[-1] if raw.startswith("data:") else raw, validate=True)
        except (binascii.Error, ValueError):
            raise PushError(f"{name} is not valid base64") from None
    if not isinstance(raw, bytes | bytearray):
        raise PushError(f"{name} must be an image")
    if len(raw) > MAX_IMAGE_BYTES:
        raise PushError(f"{name} is {len(raw)} bytes; at most {MAX_IMAGE_BYTES}")
    try:
        check_photo(name, bytes(raw))
    except NotAPhoto as err:
        raise PushError(str(err), 415) from None
    return bytes(raw)


async def read_payload(request: web.Request) -> PushPayload:
    fields: dict[str, Any] = {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except (ValueError, RecursionError, LookupError):  # LookupError: an unknown charset
            raise PushError("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise PushError("JSON body must be an object")
        fields = body
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            post = await request.post()
        except LookupError:  # a charset Python does not know
            raise PushError(f"unknown charset {request.charset!r}; send UTF-8", 415) from None
        except (ValueError, UnicodeDecodeError) as err:  # a broken form body
            raise PushError(f"the form cannot be read: {err}") from None
        for key, value in post.items():
            fields[key] = value.file.read() if isinstance(value, web.FileField) else value
    else:
        raise PushError(f"unsupported content type {request.content_type!r}; send JSON or multipart")
    images = {
        kind: _image(key, fields[key])
        for kind, key in (("plate", "plate_image"), ("scene", "scene_image"))
        if fields.get(key)
    }
    confidence = fields.get("confidence")
    try:
        confidence = None if confidence in (None, "") else float(confidence)
    except (TypeError, ValueError):
        raise PushError(f"confidence {str(confidence)[:20]!r} is not a number") from None
    if confidence is not None and confidence > 1:
        confidence /= 100  # many cameras send a percentage
    if confidence is not None and not 0 <= confidence <= 1:
        raise PushError("confidence must be between 0 and 1 (or 0 and 100)")
    direction = fields.get("direction")
    if direction not in (None, ""):
        direction = _DIRECTIONS.get(str(direction).strip().lower())
        if direction is None:
            raise PushError("direction must be in/out (or 1/2)")
    plate = fields.get("plate")
    return PushPayload(
        plate=str(plate)[:20] if plate else None,
        confidence=confidence,
        colour=parse_colour(fields.get("colour") and str(fields["colour"])),
        direction=direction or None,
        time=str(fields["time"])[:40] if fields.get("time") else None,
        images=images,
    )


class PushServer:
    """The aiohttp server cameras push to; only cameras configured with `source: push` are found."""

    def __init__(self, cameras: dict[str, PushCamera], host: str, port: int) -> None:
        self.cameras = cameras
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/api/anpr/push/{camera}", self.handle_push)
        app.router.add_post("/api/anpr/heartbeat/{camera}", self.handle_heartbeat)
        return app

    async def async_start(self) -> int:
        # No access log: a camera that puts its token in the URL anyway must not have it written down.
        quiet_bad_requests()
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port the system gave for port 0
        _LOGGER.info("Camera push endpoint on http://%s:%d/api/anpr/push/<gate>_<lane>", self.host, self.port)
        return self.port

    async def async_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _admit(self, request: web.Request) -> PushCamera:
        """The push camera the request names, if it proves to be that camera."""
        name = request.match_info["camera"][:40]
        if any("token" in key.lower() for key in request.query):
            raise PushError(
                "a token in the URL is refused (URLs end up in logs); send `Authorization: Bearer <token>`"
            )
        pusher = self.cameras.get(name)
        if pusher is None:
            raise PushError(f"no push camera {name!r}", 404)
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else request.headers.get("X-Auth-Token", "")
        # surrogateescape: header bytes that are not UTF-8 must compare unequal, not raise.
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), pusher.token.encode()):
            raise PushError("wrong or missing token", 401, {"WWW-Authenticate": "Bearer"})
        return pusher

    async def handle_heartbeat(self, request: web.Request) -> web.Response:
        try:
            pusher = self._admit(request)
        except PushError as err:
            return _refused(request, err)
        pusher.camera.async_seen()
        return web.json_response({"ok": True})

    async def handle_push(self, request: web.Request) -> web.Response:
        try:
            pusher = self._admit(request)
            wait = pusher.allowance.async_take()
            if wait:
                raise PushError(
                    f"too many pushes; try again in {wait:.1f} s", 429, {"Retry-After": str(math.ceil(wait))}
                )
            camera = pusher.camera
            camera.async_seen()
            payload = await read_payload(request)
            return await self._async_push(camera, payload)
        except PushError as err:
            return _refused(request, err)
        except ValueError as err:  # anything else the camera sent that does not parse
            return _refused(request, PushError(str(err)))
        except web.HTTPRequestEntityTooLarge:
            _LOGGER.warning(
                "Camera %s: push larger than %d bytes refused",
                request.match_info["camera"][:40],
                MAX_REQUEST_BYTES,
            )
            raise

    async def _async_push(self, camera: AnprCamera, payload: PushPayload) -> web.Response:
        if camera.repeats.async_is_repeat(payload.images):
            _LOGGER.info("Camera %s sent its previous frame again; not read as another vehicle", camera.key)
            return web.json_response({"ok": True, "read_id": None, "merged": True, "repeated_frame": True})
        read = await self._to_read(camera, payload)
        if read is None:
            _LOGGER.info("Camera %s: no plate found in the pushed images", camera.key)
            return web.json_response({"ok": False, "error": "no plate found"}, status=422)
        try:
            data = await camera.lane.async_handle_read(read)
        except ValueError as err:  # a photo the photo store refuses to keep (oversized)
            raise PushError(str(err), 413) from None
        return web.json_response(
            {"ok": True, "read_id": data["read_id"] if data else None, "merged": data is None}
        )

    async def _to_read(self, camera: AnprCamera, payload: PushPayload) -> PlateRead | None:
        now = camera.lane.hub.now()
        captured = parse_time(payload.time, now)
        if abs(captured - now) > timedelta(days=1):
            _LOGGER.warning("Camera %s clock is off by %s", camera.key, captured - now)
        direction = camera.direction_for(payload.direction)
        plate = normalise_plate(payload.plate) if payload.plate else ""
        if plate and validate_plate(plate, PlateColour(payload.colour) if payload.colour else None) is None:
            confidence = payload.confidence if payload.confidence is not None else 1.0
            return PlateRead(
                plate, payload.colour or "unknown", confidence, direction, "push", captured, payload.images
            )
        if payload.plate:
            _LOGGER.info(
                "Camera %s sent plate %r that is not a valid plate; reading the images",
                camera.key,
                payload.plate,
            )
        if not payload.images:
            raise PushError("no plate text and no image to read it from")
        try:
            reading = await camera.async_recognise(payload.images)
        except FrameDropped as err:
            raise PushError(str(err), 409) from None
        except ValueError as err:  # the recogniser could not decode the photo after all
            raise PushError(str(err), 415) from None
        if reading is None:
            return None
        return PlateRead(
            reading.plate,
            reading.colour.value,
            reading.confidence,
            direction,
            "push+ocr",
            captured,
            payload.images,
            needs_review=reading.needs_review,
        )


def _refused(request: web.Request, err: PushError) -> web.Response:
    # The path only, never the query string: it may hold a token.
    # A flood is logged where it is noticed (once by the allowance, per frame by the lane turns).
    log = _LOGGER.debug if err.status in (409, 429) else _LOGGER.warning
    log("Camera push to %s refused (%d): %s", request.path[:80], err.status, err)
    return web.json_response({"ok": False, "error": str(err)}, status=err.status, headers=err.headers)
