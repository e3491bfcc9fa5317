"""Platform profiles: what one supervisory platform expects, in YAML (see profiles/default.yaml).

A profile names the endpoints (or TCP message types), the authentication, how each of our records maps
onto the platform's JSON (field names, code lists, time formats), how its answers read, the batch size,
the schedule and how photos travel. One engine serves every province; only the profile differs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.core import ConfigError

from .mapping import FORMATS, FieldRule

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
# "realtime", "every 300" (seconds), or "HH:MM" (daily, in the platform's time zone)
SCHEDULE_PATTERN = r"^(realtime|every \d+(\.\d+)?|([01]\d|2[0-3]):[0-5]\d)$"
Schedule = Annotated[str, Field(pattern=SCHEDULE_PATTERN)]


class MessageSpec(BaseModel):
    """One kind of message. Outbound: `fields` maps platform field -> our value. Inbound (control):
    `fields` maps our name -> the platform's field (`from`), code lists read backwards."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None  # HTTP: POST path (GET for the control measure)
    method: Literal["GET", "POST"] | None = None  # a fetched message (control, check): GET unless POST
    type: str | None = None  # TCP: the message type
    batch: bool = True  # a list of records per request
    items_field: str = "records"  # where the list (or the single record) sits in the body; "" = the body
    envelope: dict[str, FieldRule] = Field(default_factory=dict)  # fields beside the records
    fields: dict[str, FieldRule]
    # The platform fields that make a record's identity (what it deduplicates on); default: the field
    # holding our record id. Platforms that key on their serial number (流水号) name that field.
    key: list[str] = Field(default_factory=list)
    # A query's answer (vehicle check): our name -> the platform's field, read like an inbound message.
    answer: dict[str, FieldRule] = Field(default_factory=dict)
    answer_field: str = ""  # where the answer's fields sit in the platform's reply ("" = the reply)

    @field_validator("fields", "envelope", "answer", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # `plateNo: plate` is short for `plateNo: {from: plate}`.
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @property
    def id_field(self) -> str | None:
        """The platform field that holds our record id (what the platform deduplicates on)."""
        return next((name for name, rule in self.fields.items() if rule.src == "record_id"), None)

    @property
    def key_fields(self) -> list[str]:
        return self.key or ([self.id_field] if self.id_field else [])

    @property
    def verb(self) -> dict[str, Any]:
        """The envelope's constants (`ipctype: shareDrivingRecord`): several messages may share a path
        and differ only by these."""
        return {name: rule.value for name, rule in self.envelope.items() if rule.src is None}


class AuthSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["token", "body_token", "hmac", "login", "none"] = "token"
    # token: POST {account_field: account, key_field: key} to token_path; the answer holds the token.
    # body_token: the same, and the token travels in every request's body (`body_field`), not a header.
    token_path: str = "/api/v1/auth/token"
    account_field: str = "account"
    key_field: str = "key"
    # The token request's body when it is more than account and key: rules over {account, key, plant}.
    token_body: dict[str, FieldRule] = Field(default_factory=dict)
    body_field: str = "access_token"
    token_field: str = "data.token"
    expires_field: str | None = "data.expires_in"  # seconds; absent: default_expires_seconds
    default_expires_seconds: int = Field(7200, ge=1)
    refresh_margin_seconds: int = Field(300, ge=0)  # fetch a new token this long before expiry
    header: str = "Authorization"
    scheme: str = "Bearer"  # "" sends the bare token
    # hmac: HMAC-SHA256(secret, METHOD \n PATH \n TIMESTAMP \n NONCE \n sha256(body)) in hex.
    account_header: str = "X-Account"
    timestamp_header: str = "X-Timestamp"
    nonce_header: str = "X-Nonce"
    signature_header: str = "X-Signature"
    max_skew_seconds: int = Field(300, ge=1)

    @field_validator("token_body", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class ResponseSpec(BaseModel):
    """How the platform's answer reads: a result code, and per record an id, a status and a message."""

    model_config = ConfigDict(extra="forbid")

    code_field: str = "code"
    ok_codes: list[Any] = Field(default_factory=lambda: [0])
    auth_codes: list[Any] = Field(default_factory=lambda: [401])  # the token is bad: fetch a new one
    retry_codes: list[Any] = Field(default_factory=lambda: [500, 503])  # busy: try again later
    message_field: str = "message"
    results_field: str = "data.results"
    id_field: str = "id"
    status_field: str = "status"
    result_message_field: str = "message"
    # The platform's status values (as text) -> ours: accepted, rejected, duplicate, retry.
    # A plain default (pydantic copies it for each model), so that mypy checks it against the type.
    statuses: dict[str, Literal["accepted", "rejected", "duplicate", "retry"]] = {
        "1": "accepted", "2": "rejected", "3": "duplicate",
    }  # fmt: skip
    # False: the platform answers one record per request with a code only (no per-record results); a
    # record it refuses gets `reject_code` and the reason in `message_field` (the simulator does so).
    per_record: bool = True
    reject_code: Any = 400

    def status_value(self, ours: str) -> Any:
        """The platform's value for one of our statuses (the simulator answers with it)."""
        value = next(k for k, v in self.statuses.items() if v == ours)
        return int(value) if value.lstrip("-").isdigit() else value


class TcpSpec(BaseModel):
    """Persistent TCP: one UTF-8 JSON object per line, replies matched by message number."""

    model_config = ConfigDict(extra="forbid")

    type_field: str = "cmd"
    msg_id_field: str = "seq"
    data_field: str = "data"
    login: str = "login"
    heartbeat: str = "heartbeat"
    ack: str = "ack"
    login_fields: dict[str, str] = Field(
        default_factory=lambda: {"account": "account", "key": "password", "plant": "plantCode"}
    )
    heartbeat_seconds: float = Field(30, gt=0)
    reply_timeout_seconds: float = Field(15, gt=0)
    max_line_bytes: int = Field(16 * 1024 * 1024, ge=1024)


class PhotoSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["inline", "separate", "none"] = "inline"
    fields: dict[str, str] = Field(default_factory=dict)  # inline: our role (plate, scene) -> field
    max_bytes: int = Field(2 * 1024 * 1024, ge=1024)  # a larger photo is not sent (noted in the log)
    data_uri: bool = False  # inline base64 with the `data:image/jpeg;base64,` prefix (some cities want it)


class SerialSpec(BaseModel):
    """The record's serial number (流水号): plant + gate + A/B + yyMMddHHmmss + ledger seq. The seq keeps
    two passages of one gate in the same second apart; a serial the platform issued is used instead."""

    model_config = ConfigDict(extra="forbid")

    direction: dict[str, str] = Field(default_factory=lambda: {"in": "A", "out": "B"})
    time_format: str = "%y%m%d%H%M%S"
    seq_digits: int = Field(8, ge=1, le=19)
    plant: bool = True  # the plant code leads (some platforms keep the serial short without it)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    transport: Literal["http", "tcp"] = "http"
    time_zone: str = "Asia/Shanghai"
    time_format: str = "%Y%m%d %H%M%S"  # spec: yyyymmdd HHMMSS, 24 h
    date_format: str = "%Y%m%d"
    batch_size: int = Field(50, ge=1, le=1000)
    auth: AuthSpec = Field(default_factory=AuthSpec)
    response: ResponseSpec = Field(default_factory=ResponseSpec)
    tcp: TcpSpec = Field(default_factory=TcpSpec)
    photos: PhotoSpec = Field(default_factory=PhotoSpec)
    serial: SerialSpec = Field(default_factory=SerialSpec)
    schedule: dict[str, Schedule] = Field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    messages: dict[str, MessageSpec]

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        for name, spec in self.messages.items():
            for field, rule in {**spec.fields, **spec.envelope, **spec.answer}.items():
                if rule.code and rule.code not in self.codes:
                    raise ValueError(f"messages.{name}.{field}: no code list {rule.code!r}")
                if rule.format and rule.format not in FORMATS:
                    raise ValueError(f"messages.{name}.{field}: unknown format {rule.format!r}")
            if self.transport == "http" and spec.path is None:
                raise ValueError(f"messages.{name}: an HTTP profile needs a path")
            if self.transport == "tcp" and spec.type is None:
                raise ValueError(f"messages.{name}: a TCP profile needs a message type")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def schedule_of(self, stream: str, overrides: dict[str, str] | None = None) -> Schedule:
        return (overrides or {}).get(stream) or self.schedule.get(stream) or "realtime"

    def with_codes(self, extra: dict[str, dict[str, Any]]) -> Profile:
        """The profile with a plant's own code lists (gate numbers ...) laid over its own."""
        if not extra:
            return self
        codes = {k: dict(v) for k, v in self.codes.items()}
        for name, table in extra.items():
            codes.setdefault(name, {}).update(table)
        return self.model_copy(update={"codes": codes})


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name: str, config_dir: Path | None = None) -> Profile:
    """A shipped profile by name, or a YAML file (relative to the configuration directory)."""
    candidates = []
    if name.endswith((".yaml", ".yml")):
        path = Path(name)
        candidates.append(path if path.is_absolute() or config_dir is None else config_dir / path)
    else:
        candidates.append(PROFILE_DIR / f"{name}.yaml")
    for path in candidates:
        if path.is_file():
            return _load(str(path.resolve()))
    shipped = ", ".join(builtin_profiles())
    raise ConfigError(f"uplink: no profile {name!r} (shipped: {shipped}; or give a .yaml file)")


def merged(base: Any, over: Any) -> Any:
    """`over` laid on `base`: mappings merge key by key (None deletes a key; `_replace: true` in a
    mapping replaces the base's instead of merging), anything else replaces."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    if over.get("_replace"):
        return {k: v for k, v in over.items() if k != "_replace"}
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(base.get(key), value)
    return out


def _read(path: Path, depth: int = 0) -> dict[str, Any]:
    """A profile's YAML; `extends: <shipped profile or file>` starts from another (a city's variant of
    a family holds only its differences)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ConfigError(f"uplink profile {path}: not a mapping")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if depth > 4:
        raise ConfigError(f"uplink profile {path}: extends goes too deep")
    parent = str(parent)
    base = path.parent / parent if parent.endswith((".yaml", ".yml")) else PROFILE_DIR / f"{parent}.yaml"
    return merged(_read(base, depth + 1), raw)


@lru_cache(maxsize=32)
def _load(path: str) -> Profile:
    try:
        return Profile.model_validate(_read(Path(path)))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"uplink profile {path}: {err}") from None
    except ValidationError as err:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()]
        raise ConfigError(f"uplink profile {path} is not valid:\n" + "\n".join(lines)) from None
