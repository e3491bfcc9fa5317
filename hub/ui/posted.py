"""A page's form post read safely: a body the browser would never send (an unknown charset, broken
multipart framing, too large) is answered with the page's message in the user's language, not a 500."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from .pages import message_page


async def posted_form(request: web.Request, title_key: str) -> MultiDictProxy[Any] | web.Response:
    try:
        return await request.post()
    except (LookupError, ValueError) as err:
        status = 415 if isinstance(err, LookupError) else 400  # an unknown charset: a wrong media type
        text = request["t"]("error.unreadable_form", reason=str(err)[:200])
        return message_page(request, status, title_key, text)
    except web.HTTPRequestEntityTooLarge as err:
        text = request["t"]("error.unreadable_form", reason=err.text or "too large")
        return message_page(request, 413, title_key, text)
