"""JSON from outside (a request body, a WebSocket message): one reader, with the limits every door keeps.

Python's parser takes what no peer of the hub can mean and what the code behind a door cannot carry:
nesting thousands deep (a RecursionError in the parser, or later in a validator or the audit log),
integers past 64 bits (SQLite and PostgreSQL refuse them mid-query), `NaN` and `Infinity` (not JSON at
all), a body in a charset nobody decodes. Each is refused here with a reason, before any service sees it.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from aiohttp import web

MAX_DEPTH = 32  # the deepest service data (an import's rows, a followup's details) is 4 levels
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what a database column holds
JSON_TYPES = ("application/json",)
UTF8 = ("utf-8", "utf8")
PARSE_ON_LOOP_CHARS = 64 * 1024  # at most ~3 ms of parsing on the loop; longer (an import) in a thread


class BadJson(Exception):
    """JSON the hub does not take: `status` (400, 413, 415) and `code` for the answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _parse_int(text: str) -> int:
    # Checked on the text first: int() of thousands of digits is itself refused, slowly.
    if len(text.lstrip("-")) > 19 or not INT_MIN <= (value := int(text)) <= INT_MAX:
        raise ValueError(f"integer {text[:24]}{'…' if len(text) > 24 else ''} is outside 64 bits")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and INT_MIN <= value <= INT_MAX):  # one range for every number
        raise ValueError(f"number {text[:24]} is outside 64 bits")
    return value


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadJson(400, "invalid_json", f"JSON nested deeper than {MAX_DEPTH} levels")
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def parse_json(text: str) -> Any:
    """The value of a JSON text, or BadJson saying what is wrong with it."""
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except RecursionError:
        raise BadJson(400, "invalid_json", f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as err:  # a syntax error, or a number refused above
        raise BadJson(400, "invalid_json", f"not JSON: {err}") from None
    if isinstance(value, dict | list):
        _check_depth(value)
    return value


async def read_json(request: web.Request, max_bytes: int | None = None) -> Any:
    """A request's JSON body (None when there is none) in UTF-8, at most `max_bytes` long (or as long
    as the application takes)."""
    too_large = f"the body may be at most {max_bytes} bytes"
    if max_bytes and request.content_length is not None and request.content_length > max_bytes:
        raise BadJson(413, "too_large", too_large)
    if not request.body_exists:
        return None
    if request.content_type not in JSON_TYPES:
        raise BadJson(415, "unsupported_media_type", "send the body as application/json")
    if request.charset is not None and request.charset.lower() not in UTF8:
        raise BadJson(415, "unsupported_media_type", "JSON is read in UTF-8 only (charset=utf-8)")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as err:
        raise BadJson(413, "too_large", err.text or "the body is too large") from None
    if max_bytes and len(body) > max_bytes:
        raise BadJson(413, "too_large", too_large)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadJson(400, "invalid_json", f"the body is not UTF-8: {err}") from None
    if len(text) > PARSE_ON_LOOP_CHARS:  # a register import's megabytes would hold the gate's loop
        return await asyncio.get_running_loop().run_in_executor(None, parse_json, text)
    return parse_json(text)
