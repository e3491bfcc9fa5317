"""The admission decision, as a pure function of the read, the register record, the alert and the time.

Order of precedence (first that applies wins):
1. a low-confidence read goes to the guard (`low_confidence: review`);
2. a failed register lookup goes to the guard;
3. a blacklisted vehicle is denied (registered or not); one the register marks for review (e.g. a
   remote-sensing high emitter, insight's `flagging.policy: review`) goes to the guard with the reason;
4. a valid temporary pass allows (registered or not);
5. an unregistered vehicle: deny, review, or allow-and-flag (`unknown_vehicle`);
6. machinery not usable today is denied;
7. the control measure's rules, then the grade's rules for the alert level: the first that matches
   denies, unless the vehicle holds an exemption the rule honours;
8. otherwise allow.
A deny or review that no rule asked for on a direction the plant does not enforce (exits, by default)
becomes an allow that keeps the reason: exits are recorded, not blocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .const import Reason, Verdict
from .rules import Common, Rule


@dataclass(frozen=True, slots=True)
class Options:
    unknown_vehicle: str = "deny"  # deny | review | allow (allow and flag)
    low_confidence: str = "review"  # review | decide (decide, and flag)
    enforce_directions: frozenset[str] = frozenset({"in"})
    exemptions: frozenset[str] = frozenset({"safety", "livelihood"})
    machinery_usable_today: bool = True


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Everything the decision reads: the merged rules, the measures, the texts and the options."""

    rules: tuple[Rule, ...]
    measures: Mapping[int, tuple[Rule, ...]]
    labels: Mapping[str, Mapping[str, str]]
    texts: Mapping[str, str]
    options: Options = field(default_factory=Options)
    grade: str = "B"

    @classmethod
    def build(
        cls,
        common: Common,
        rules: list[Rule],
        options: Options,
        *,
        grade: str = "B",
        measures: Mapping[int, list[Rule]] | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> RuleBook:
        all_measures = {**common.measures, **(measures or {})}
        return cls(
            rules=tuple(rules),
            measures={code: tuple(rs) for code, rs in all_measures.items()},
            labels=common.labels,
            texts={**common.texts, **(texts or {})},
            options=options,
            grade=grade,
        )

    def label(self, table: str, key: str | None, default: str = "") -> str:
        if key is None:
            return default
        return self.labels.get(table, {}).get(str(key), default if default else str(key))


@dataclass(frozen=True, slots=True)
class Read:
    plate: str
    colour: str = "unknown"
    direction: str = "in"
    confidence: float | None = None
    needs_review: bool = False


@dataclass(frozen=True, slots=True)
class Vehicle:
    """What the register says (vehicles.lookup), reduced to what the rules look at."""

    vehicle_class: str = "transport"
    vehicle_type: str | None = None
    fuel: str | None = None
    emission_stage: str | None = None
    colour: str | None = None
    blacklisted: bool = False
    blacklist_reason: str | None = None
    review_reason: str | None = None  # the register's review mark: the guard decides, told why
    pass_valid_until: datetime | None = None
    whitelist: str | None = None  # safety | livelihood
    special: bool = False
    hazardous: bool = False
    usable_today: bool | None = None
    registered: bool = True  # False: the register knows the plate only from its blacklist or a pass
    colour_mismatch: bool = False  # the camera saw another plate colour than the register holds

    @classmethod
    def from_lookup(cls, record: Mapping[str, Any]) -> Vehicle:
        """Tolerant of what the register returns: unknown values become None, never an exception."""

        def text(key: str, upper: bool = False) -> str | None:
            value = record.get(key)
            if value is None or str(value).strip() == "":
                return None
            return str(value).strip().upper() if upper else str(value).strip()

        valid_until = None
        temp = record.get("temporary_pass")
        if isinstance(temp, Mapping) and temp.get("valid_until"):
            raw = temp["valid_until"]
            try:
                valid_until = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
            except ValueError:
                valid_until = None
        usable = record.get("usable_today")
        return cls(
            vehicle_class=text("vehicle_class") or "transport",
            vehicle_type=text("vehicle_type"),
            fuel=text("fuel", upper=True),
            emission_stage=text("emission_stage", upper=True),
            colour=text("colour"),
            blacklisted=bool(record.get("blacklisted")),
            blacklist_reason=text("blacklist_reason"),
            review_reason=text("review_reason"),
            pass_valid_until=valid_until,
            whitelist=text("whitelist"),
            special=bool(record.get("special")),
            hazardous=bool(record.get("hazardous")),
            usable_today=None if usable is None else bool(usable),
            registered=record.get("registered") is not False,
            colour_mismatch=bool(record.get("colour_mismatch")),
        )

    def holds(self, exemption: str) -> bool:
        if exemption in ("safety", "livelihood"):
            return self.whitelist == exemption
        return bool(getattr(self, exemption, False))


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reason_code: str
    reason_text: str
    rule: str | None = None
    needs_review: bool = False
    vehicle_class: str = "unknown"
    exemption: str | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW


def describe(book: RuleBook, vehicle: Vehicle | None, read: Read, level: str) -> dict[str, str]:
    """Template fields of reason and display texts: {plate} {stage} {fuel} {kind} {vehicle} {level} {go}."""
    cls = vehicle.vehicle_class if vehicle else "unknown"
    stage = vehicle.emission_stage if vehicle else None
    fuel = vehicle.fuel if vehicle else None
    kind = book.label("classes", cls, "车辆")
    electric = stage == "D" or fuel == "C"
    stage_label = book.label("stages", stage)
    fuel_label = "" if electric else book.label("fuels", fuel)
    words = (
        (book.label("words", "new_energy", "新能源") + kind)
        if electric
        else f"{stage_label}{fuel_label}{kind}"
    )
    return {
        "plate": read.plate,
        "stage": stage_label,
        "fuel": fuel_label,
        "kind": kind,
        "vehicle": words,
        "type": (vehicle.vehicle_type if vehicle else None) or "",
        "level": book.label("levels", level),
        "go": book.label("directions", read.direction),
    }


def render(template: str, fields: Mapping[str, str]) -> str:
    """A template with unknown {fields} left as they are (a plant's typo must not stop a decision)."""

    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return template.format_map(_Keep(fields)).strip()
    except (ValueError, IndexError):
        return template


def decide(
    book: RuleBook,
    read: Read,
    vehicle: Vehicle | None,
    *,
    level: str,
    measure_code: int | None,
    when: datetime,
    lookup_failed: bool = False,
) -> Decision:
    opts = book.options
    fields = describe(book, vehicle, read, level)
    cls = vehicle.vehicle_class if vehicle else "unknown"
    flagged = read.needs_review or bool(vehicle and vehicle.colour_mismatch)

    def made(verdict: Verdict, code: str, text_key: str, rule: str | None = None, **extra: Any) -> Decision:
        text = render(book.texts.get(text_key, text_key), {**fields, **extra})
        return Decision(verdict, code, text, rule, flagged or verdict is Verdict.REVIEW, cls)

    enforced = read.direction in opts.enforce_directions

    def outside_rules(decision: Decision) -> Decision:
        """Exits (unless enforced) are recorded, not blocked: keep why it would have been stopped."""
        if enforced or decision.allowed:
            return decision
        text = render(book.texts["exit_recorded"], {**fields, "reason": decision.reason_text})
        return Decision(Verdict.ALLOW, Reason.EXIT, text, decision.rule, True, cls)

    if read.needs_review and opts.low_confidence == "review":
        return outside_rules(made(Verdict.REVIEW, Reason.LOW_CONFIDENCE, "low_confidence"))
    if lookup_failed:
        return outside_rules(made(Verdict.REVIEW, Reason.LOOKUP_FAILED, "lookup_failed"))
    if vehicle is not None and vehicle.blacklisted:
        key = "blacklisted_reason" if vehicle.blacklist_reason else "blacklisted"
        return outside_rules(
            made(Verdict.DENY, Reason.BLACKLISTED, key, reason=vehicle.blacklist_reason or "")
        )
    if vehicle is not None and vehicle.review_reason:
        marked = made(Verdict.REVIEW, Reason.REVIEW_MARKED, "review_marked", reason=vehicle.review_reason)
        return outside_rules(marked)
    if vehicle is not None and vehicle.pass_valid_until is not None and vehicle.pass_valid_until > when:
        until = vehicle.pass_valid_until.astimezone(when.tzinfo).strftime("%m-%d %H:%M")
        return made(Verdict.ALLOW, Reason.TEMPORARY_PASS, "temporary_pass", until=until)
    if vehicle is None or not vehicle.registered:
        if opts.unknown_vehicle == "allow":
            decision = made(Verdict.ALLOW, Reason.UNREGISTERED, "unregistered_allowed")
            return replace(decision, needs_review=True)
        verdict = Verdict.REVIEW if opts.unknown_vehicle == "review" else Verdict.DENY
        key = "unregistered_review" if verdict is Verdict.REVIEW else "unregistered"
        return outside_rules(made(verdict, Reason.UNREGISTERED, key))
    if cls == "machinery" and opts.machinery_usable_today and vehicle.usable_today is False:
        return outside_rules(made(Verdict.DENY, Reason.NOT_USABLE_TODAY, "not_usable_today"))

    rules = [*book.measures.get(measure_code, ()), *book.rules] if measure_code else book.rules
    exempted: str | None = None
    colour = read.colour if read.colour and read.colour != "unknown" else vehicle.colour
    for rule in rules:
        if not rule.applies(level, read.direction, opts.enforce_directions, when):
            continue
        if not rule.matches_vehicle(cls, vehicle.vehicle_type, colour, vehicle.fuel, vehicle.emission_stage):
            continue
        honoured = rule.exemptions if rule.exemptions is not None else opts.exemptions
        held = next((e for e in honoured if vehicle.holds(e)), None)
        if held is not None:
            exempted = exempted or held
            continue
        verdict = Verdict.REVIEW if rule.action == "review" else Verdict.DENY
        text = render(rule.reason_text or book.texts["deny"], {**fields, "rule": rule.name})
        return Decision(verdict, rule.reason_code, text, rule.id, flagged or verdict is Verdict.REVIEW, cls)
    if exempted is not None:
        decision = made(Verdict.ALLOW, Reason.EXEMPT, "exempt", exemption=book.label("exemptions", exempted))
        return replace(decision, exemption=exempted)
    return made(Verdict.ALLOW, Reason.ALLOWED, "allowed")
