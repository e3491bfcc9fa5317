"""Forbidden rules (禁行规则): what they match, how YAML spells them, and the plant's merged rule book.

A rule denies (or holds for review) a vehicle when every condition it names matches; a condition it
does not name matches anything. Conditions: alert level, vehicle class, direction, vehicle type
(glob patterns such as `重型*`), plate colour, fuel letter, emission stage (a list, or `max_stage`),
weekdays, times of day, a date range and the enabled switch. Pure: no I/O beyond reading the shipped
YAML files once.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .const import EXEMPTIONS, AlertLevel

DEFAULTS_DIR = Path(__file__).parent / "defaults"
GRADE_FILES = {"A": "grade_a.yaml", "B": "grade_b.yaml", "C": "grade_c.yaml", "leading": "grade_leading.yaml"}
GRADE_ALIASES = {"a": "A", "b": "B", "c": "C", "leading": "leading", "引领性": "leading", "引领": "leading"}

RuleId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
VehicleClass = Literal["transport", "in_plant", "machinery", "unknown"]
Exemption = Literal["safety", "livelihood", "special", "hazardous"]
assert set(EXEMPTIONS) == set(get_args(Exemption))
_TIME_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def stage_rank(stage: str) -> int | None:
    """Order of an emission stage for `max_stage`: X (no stage) below 国0, digits as they are, D none."""
    if stage == "X":
        return -1
    if stage.isdigit():
        return int(stage)
    return None  # electric (D): no combustion stage, never caught by a stage ceiling


class Rule(BaseModel):
    """One forbidden rule. Unset conditions match anything; `missing` says what a vehicle lacking a
    tested field (no type, fuel or stage in the register) does: `match` (strict) or `skip`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    name: str = Field("", max_length=200)
    enabled: bool = True
    action: Literal["deny", "review"] = "deny"
    levels: list[AlertLevel] | None = None  # None: every level
    classes: list[VehicleClass] | None = None
    directions: list[Literal["in", "out"]] | None = None  # None: the plant's enforce_directions
    vehicle_types: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = None
    plate_colours: list[str] | None = None
    fuels: list[Annotated[str, Field(pattern=r"^[A-Z]$")]] | None = None
    stages: list[Annotated[str, Field(pattern=r"^[0-6DX]$")]] | None = None
    max_stage: int | None = Field(None, ge=0, le=6)
    missing: Literal["match", "skip"] = "match"
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] | None = None  # ISO: Monday 1 .. Sunday 7
    times: list[str] | None = None  # "07:00-19:00"; "22:00-06:00" runs over midnight
    date_from: date | None = None
    date_until: date | None = None  # inclusive
    exemptions: list[Exemption] | None = None  # None: the plant's exemptions
    reason_code: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")] = "forbidden"
    reason_text: str | None = Field(None, max_length=200)  # template; None: texts.deny

    @field_validator("fuels", "stages", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v).strip().upper() for v in value]
        return value

    @field_validator("times")
    @classmethod
    def _windows(cls, value: list[str] | None) -> list[str] | None:
        for window in value or ():
            if not _TIME_WINDOW.match(window):
                raise ValueError(f"time window {window!r}: expected HH:MM-HH:MM, e.g. 07:00-19:00")
        return value

    @model_validator(mode="after")
    def _dates(self) -> Rule:
        if self.date_from and self.date_until and self.date_until < self.date_from:
            raise ValueError("date_until is before date_from")
        return self

    @cached_property
    def windows(self) -> tuple[tuple[int, int], ...]:
        out = []
        for window in self.times or ():
            m = _TIME_WINDOW.match(window)
            assert m is not None
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            out.append((h1 * 60 + m1, h2 * 60 + m2))
        return tuple(out)

    @cached_property
    def type_patterns(self) -> re.Pattern[str] | None:
        if not self.vehicle_types:
            return None
        return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.vehicle_types))

    # ----- matching ------------------------------------------------------------------------------
    def applies(self, level: str, direction: str, enforced: frozenset[str], when: datetime) -> bool:
        """Whether the rule is in force for this level, direction and moment (vehicle aside)."""
        if not self.enabled:
            return False
        if self.levels is not None and level not in self.levels:
            return False
        if direction not in (self.directions if self.directions is not None else enforced):
            return False
        if self.weekdays and when.isoweekday() not in self.weekdays:
            return False
        day = when.date()
        if (self.date_from and day < self.date_from) or (self.date_until and day > self.date_until):
            return False
        if self.times:
            minute = when.hour * 60 + when.minute
            if not any(
                (start <= minute < end) if start <= end else (minute >= start or minute < end)
                for start, end in self.windows
            ):
                return False
        return True

    def matches_vehicle(
        self,
        vehicle_class: str,
        vehicle_type: str | None,
        colour: str | None,
        fuel: str | None,
        stage: str | None,
    ) -> bool:
        if self.classes is not None and vehicle_class not in self.classes:
            return False
        strict = self.missing == "match"
        if self.plate_colours is not None and not (
            colour in self.plate_colours if colour and colour != "unknown" else strict
        ):
            return False
        if self.type_patterns is not None and not (
            bool(self.type_patterns.match(vehicle_type)) if vehicle_type else strict
        ):
            return False
        if self.fuels is not None and not (fuel in self.fuels if fuel else strict):
            return False
        if self.stages is not None and not (stage in self.stages if stage else strict):
            return False
        if self.max_stage is not None:
            if not stage:
                return strict
            rank = stage_rank(stage)
            if rank is None or rank > self.max_stage:
                return False
        return True


class RuleFile(BaseModel):
    """A shipped grade file (defaults/grade_*.yaml)."""

    model_config = ConfigDict(extra="forbid")

    grade: str
    name: str
    description: str = ""
    rules: list[Rule]


class Common(BaseModel):
    """defaults/common.yaml: labels, reason texts, display texts, the platform's control measures."""

    model_config = ConfigDict(extra="forbid")

    labels: dict[str, dict[str, str]]
    texts: dict[str, str]
    display: dict[str, str]
    measures: dict[int, list[Rule]]


def load_yaml_file(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def canonical_grade(grade: str) -> str:
    try:
        return GRADE_ALIASES[grade.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown performance grade {grade!r}; one of A, B, C, 引领性 (leading)") from None


@cache  # the shipped files do not change while the hub runs
def load_grade(grade: str, directory: Path = DEFAULTS_DIR) -> RuleFile:
    return RuleFile.model_validate(load_yaml_file(directory / GRADE_FILES[canonical_grade(grade)]))


@cache
def load_common(directory: Path = DEFAULTS_DIR) -> Common:
    return Common.model_validate(load_yaml_file(directory / "common.yaml"))


def merge_rules(defaults: list[Rule], overrides: list[Rule]) -> list[Rule]:
    """The grade's rules with the plant's: a plant rule with a default's id changes only the fields it
    sets (e.g. `{id: x, enabled: false}`); a new id is added after the defaults."""
    merged = {rule.id: rule for rule in defaults}
    for rule in overrides:
        base = merged.get(rule.id)
        if base is None:
            merged[rule.id] = rule
        else:
            changed = {name: getattr(rule, name) for name in rule.model_fields_set}
            merged[rule.id] = Rule.model_validate({**base.model_dump(), **changed})
    return list(merged.values())
