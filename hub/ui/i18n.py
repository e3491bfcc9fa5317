"""Message catalogues (translations/<lang>.json) and the language a request is answered in."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from .const import LANGUAGE_COOKIE, LANGUAGES

_LOGGER = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).parent / "translations"


class Catalogues:
    def __init__(self, default: str) -> None:
        self.default = default
        self.messages: dict[str, dict[str, str]] = {
            lang: json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in LANGUAGES
        }

    def language_of(self, request: web.Request) -> str:
        """`?lang=` wins (and is remembered in a cookie by the page handler), then the cookie, then config."""
        for candidate in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
            if candidate in LANGUAGES:
                return candidate
        return self.default

    def translator(self, lang: str) -> Translator:
        return Translator(self.messages[lang], self.messages[self.default], lang)


class Translator:
    def __init__(self, messages: dict[str, str], fallback: dict[str, str], lang: str) -> None:
        self.messages = messages
        self.fallback = fallback
        self.lang = lang

    def __call__(self, key: str, default: str | None = None, /, **values: Any) -> str:
        # Positional only: a message may have a placeholder called {key} or {default}.
        text = self.messages.get(key) or self.fallback.get(key)
        if text is None:
            if default is None:
                _LOGGER.debug("No translation for %s", key)
            return default if default is not None else key
        try:
            return text.format(**values) if values else text
        except (KeyError, IndexError, ValueError):
            return text

    def prefixed(self, *prefixes: str) -> dict[str, str]:
        """Every message under the prefixes, for the page's scripts."""
        merged = {k: v for k, v in self.fallback.items() if k.startswith(prefixes)}
        merged.update({k: v for k, v in self.messages.items() if k.startswith(prefixes)})
        return merged
