"""A page's form post read safely: a body the browser would never send (an unknown charset, broken
multipart framing, too large) is answered with the page's message in the user's language, not a 500."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from .pages import message_page

FORM_ERRORS = (LookupError, ValueError)  # what aiohttp raises on a body it cannot read as a form


async def posted_form(request: web.Request, title_key: str) -> MultiDictProxy[Any] | web.Response:
    try:
        return await request.post()
    except FORM_ERRORS as err:
        return unreadable_form(request, err, title_key)
    except web.HTTPRequestEntityTooLarge as err:
        text = request["t"]("error.unreadable_form", reason=err.text or "too large")
        return message_page(request, 413, title_key, text)


def unreadable_form(request: web.Request, err: Exception, title_key: str) -> web.Response:
    """The page saying why the form cannot be read."""
    status = 415 if isinstance(err, LookupError) else 400  # an unknown charset: a wrong media type
    text = request["t"]("error.unreadable_form", reason=str(err)[:200])
    return message_page(request, status, title_key, text)
