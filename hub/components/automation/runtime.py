"""What triggers, conditions and actions need from the hub, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .passages import PassageBook
from .templates import TemplateEngine
from .timers import Timers

if TYPE_CHECKING:
    from hub.core import Hub


@dataclass(frozen=True, slots=True)
class Runtime:
    hub: Hub
    timers: Timers
    templates: TemplateEngine
    passages: PassageBook
