"""The `policy:` section of configuration.yaml: the grade, the plant's changes to its rules, the options."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.core.gate import LaneBinding, configured_twice

from .decide import Options, RuleBook
from .online_check import OnlineCheckConfig
from .rules import Exemption, Rule, canonical_grade, load_common, load_grade, merge_rules


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: str = "B"  # A, B, C or 引领性 (leading): picks defaults/grade_*.yaml
    # Added to the grade's rules; a rule with a default's id changes only the fields it names.
    rules: list[Rule] = Field(default_factory=list)
    # Control-measure code -> its rules, replacing the shipped mapping of that code.
    measures: dict[int, list[Rule]] = Field(default_factory=dict)
    texts: dict[str, str] = Field(default_factory=dict)  # reason texts (defaults/common.yaml: texts)
    display: dict[str, str] = Field(default_factory=dict)  # LED texts (defaults/common.yaml: display)

    unknown_vehicle: Literal["deny", "review", "allow"] = "deny"  # allow: let in and flag for review
    low_confidence: Literal["review", "decide"] = "review"  # a doubtful read waits for the guard
    # Plain list defaults: pydantic copies a mutable default for each model, and mypy checks the
    # literal against the field's type (which it cannot do through a default_factory's lambda).
    enforce_directions: list[Literal["in", "out"]] = ["in"]
    exemptions: list[Exemption] = ["safety", "livelihood"]
    machinery_usable_today: bool = True

    # The lanes and the entities playing their parts (docs/lanes.md); a lane named with no parts uses
    # our own camera, barrier and display of that lane. Each gets a decision sensor at once (lanes not
    # named here appear with their first read).
    lanes: list[LaneBinding] = Field(default_factory=list)
    alarm_seconds: float = Field(5.0, ge=0, le=600)  # 0: a deny does not sound the alarm
    display_seconds: float = Field(30.0, gt=0, le=3600)
    show_alert_on_displays: bool = True
    # A read of the plate that is already the lane's passage, within this long of its last read, is the
    # same passage (the camera saw the truck again while it waited or drove through).
    merge_seconds: float = Field(120.0, ge=0, le=3600)
    # A stable weight joins the lane's last recorded passage if that is at most this old (weight_join.py).
    weight_join_seconds: float = Field(600, gt=0, le=24 * 3600)
    lookup_timeout: float = Field(2.0, gt=0, le=30)
    # A released passage opens the barrier if it is the lane's current one, or this recent.
    release_open_minutes: float = Field(10.0, ge=0, le=24 * 60)
    recovery_hours: float = Field(72.0, gt=0, le=24 * 31)  # open passages this old are closed at start
    schedule_check_seconds: float = Field(10.0, ge=0.01, le=3600)  # scheduled alert start/end
    # A read older than this (since it reached the hub, on the monotonic clock) is never acted on: it
    # is recorded as expired and the barrier stays shut. Reads wait while the ledger cannot record.
    read_max_age_seconds: float = Field(10.0, gt=0, le=600)
    refused_spool_limit: int = Field(1000, ge=1, le=100_000)  # reads kept while the ledger refuses them
    # Ask the supervisory platform during the decision (联网查询), where one offers a vehicle check.
    online_check: OnlineCheckConfig = Field(default_factory=OnlineCheckConfig)

    @field_validator("grade")
    @classmethod
    def _grade(cls, value: str) -> str:
        return canonical_grade(value)

    @model_validator(mode="after")
    def _rules_fit(self) -> PolicyConfig:
        if twice := configured_twice(self.lanes):
            raise ValueError(f"lane configured twice: {', '.join(twice)}")
        book = self.rule_book()
        ids = [r.id for r in book.rules] + [r.id for rs in book.measures.values() for r in rs]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule id used twice (grade rules and measures): {', '.join(twice)}")
        return self

    def rule_book(self) -> RuleBook:
        grade = load_grade(self.grade)
        options = Options(
            unknown_vehicle=self.unknown_vehicle,
            low_confidence=self.low_confidence,
            enforce_directions=frozenset(self.enforce_directions),
            exemptions=frozenset(self.exemptions),
            machinery_usable_today=self.machinery_usable_today,
        )
        return RuleBook.build(
            load_common(),
            merge_rules(grade.rules, self.rules),
            options,
            grade=self.grade,
            measures=self.measures,
            texts=self.texts,
        )
