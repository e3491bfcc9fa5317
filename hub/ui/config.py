"""The `ui:` section of configuration.yaml."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .clips import ClipLink
from .release import ReleaseRule

Origin = Annotated[str, Field(pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|'self')$")]


class UiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    # Not 8123: Home Assistant has it, and plants run both on one box.
    port: int = Field(8420, ge=0, le=65535)  # 0: any free port (tests)
    # Signs session cookies and API tokens; generated and kept under the data directory when absent.
    session_secret: str | None = Field(None, min_length=32)
    language: Literal["zh-CN", "en"] = "zh-CN"
    session_hours: float = Field(12, gt=0, le=24 * 14)  # one shift and some
    token_hours: float = Field(24, gt=0, le=24 * 365)  # bearer tokens for MES/ERP clients
    # Failed sign-ins for one name from one address before each further attempt must wait (1 s,
    # then twice as long each time) ...
    max_failed_logins: int = Field(5, ge=1, le=100)
    lockout_minutes: float = Field(5, gt=0, le=24 * 60)  # ... up to this long; never a lock on the name
    # Who may show the big screen and the widgets in an iframe (an HMI's origin, e.g.
    # "https://wincc.plant.local:8443"); none by default: every page refuses to be framed.
    frame_ancestors: list[Origin] = Field(default_factory=list, max_length=20)
    # Lanes whose guards' releases an officer approves (two-step release, hub/ui/release.py).
    release: list[ReleaseRule] = Field(default_factory=list, max_length=200)
    # Lanes whose NVR serves a passage's video clip from a URL template (hub/ui/clips.py).
    clips: list[ClipLink] = Field(default_factory=list, max_length=200)
