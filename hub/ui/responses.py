"""Helpers every request handler shares: JSON answers, API errors, the server behind a request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .serialize import dumps

if TYPE_CHECKING:
    from .security import Principal
    from .server import UiServer

UI_KEY: web.AppKey[Any] = web.AppKey("ui")


def ui_of(request: web.Request) -> UiServer:
    return request.app[UI_KEY]


def principal_of(request: web.Request) -> Principal:
    return request["principal"]


def json_response(data: Any, status: int = 200, **kwargs: Any) -> web.Response:
    text = dumps(data)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate someone sent, echoed back: escaped, as JSON allows
        body = dumps(data, ascii_only=True).encode("ascii")
    return web.Response(body=body, status=status, content_type="application/json", charset="utf-8", **kwargs)


def api_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    return json_response({"error": code, "message": message, **extra}, status=status, headers=headers)
