"""The platform simulator's state and judgement, shared by its HTTP and TCP faces.

It keeps what it received (one copy per record id, duplicates counted, first arrivals in order), checks
credentials and the fields a profile marks required or coded, and can be told to misbehave: be down,
be slow, answer 500, reject records, drop acknowledgements, expire its tokens.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..mapping import (
    MISSING,
    FieldRule,
    MappingError,
    check_record,
    encode_code,
    get_path,
    map_fields,
    set_path,
)
from ..profile import Profile

KEEP_PHOTOS = 500  # records the simulator holds with their photos; older ones keep their fields only
TOKEN = "_token"  # the token request, where it shares a path with the messages
QUERIES = ("vehicle_check", "control", "one_policy")  # questions: answered, nothing kept
NOT_REGISTERED = "平台无此车辆备案 not registered with the platform"


@dataclass
class Faults:
    down: bool = False
    slow_seconds: float = 0.0  # every request waits this long before it is looked at
    fail_next: int = 0  # this many requests answered with fail_status (and not looked at)
    fail_status: int = 500
    drop_acks: int = 0  # this many requests are processed but never answered
    reject_ids: set[str] = field(default_factory=set)
    reject_plates: set[str] = field(default_factory=set)
    check_delay_seconds: float = 0.0  # the vehicle check answers this late (the others do not wait)

    def as_dict(self) -> dict[str, Any]:
        return {
            "down": self.down, "slow_seconds": self.slow_seconds, "fail_next": self.fail_next,
            "fail_status": self.fail_status, "drop_acks": self.drop_acks,
            "reject_ids": sorted(self.reject_ids), "reject_plates": sorted(self.reject_plates),
            "check_delay_seconds": self.check_delay_seconds,
        }  # fmt: skip


class SimCore:
    def __init__(
        self,
        profile: Profile,
        *,
        account: str,
        key: str,
        secret: str,
        token_seconds: int = 7200,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.profile = profile
        self.account, self.key, self.secret = account, key, secret
        self.token_seconds = token_seconds
        self.clock = clock or time.time
        self.faults = Faults()
        self.received: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self._full: deque[tuple[str, str]] = deque()  # records still held with their photos
        self.arrivals: list[tuple[str, str]] = []  # (message, record id), first arrival order
        self.duplicates: Counter[str] = Counter()
        self.updates: Counter[str] = Counter()  # register records replaced by a newer version
        self.rejections: list[dict[str, Any]] = []
        self.requests: Counter[str] = Counter()
        self.tokens: dict[str, float] = {}
        self.token_grants = 0
        self.heartbeats = 0
        self.auth_failures = 0  # requests refused for a bad or expired token or signature
        self.in_flight = 0  # requests being handled now (a slow platform holds them)
        self.control: dict[str, Any] | None = None  # the current measure, in the platform's field names
        self.control_acks = 0
        self._changed: asyncio.Condition | None = None
        # The platform's own register, for its vehicle check: plate -> our names (verdict allow/deny,
        # reason, emission_stage, fuel, vin, fleet, serial; `_raw` sets platform fields as they are).
        self.vehicles: dict[str, dict[str, Any]] = {}
        self.checks: list[dict[str, Any]] = []  # the vehicle checks asked, as received
        self.one_policy: dict[str, Any] = {"planNo": "YCYC-SIM-001", "content": "一厂一策 simulated plan"}
        self.last_outcomes: list[tuple[str, str]] = []  # (our status, text) of the last request's records
        self._serials = itertools.count(1)
        self._anonymous = itertools.count(1)
        self._plate_fields = {
            name: [f for f, rule in spec.fields.items() if rule.src == "plate"]
            for name, spec in profile.messages.items()
        }

    # ----- credentials ---------------------------------------------------------------------------
    def issue_token(self, account: Any, key: Any) -> tuple[str, int] | None:
        if account != self.account or key != self.key:
            return None
        token = secrets.token_urlsafe(24)
        self.tokens[token] = self.clock() + self.token_seconds
        self.token_grants += 1
        return token, self.token_seconds

    def token_ok(self, token: str | None) -> bool:
        expires = self.tokens.get(token or "")
        return expires is not None and self.clock() < expires

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # ----- answers -------------------------------------------------------------------------------
    def answer(self, code: Any, message: str, results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        spec = self.profile.response
        body: dict[str, Any] = {}
        set_path(body, spec.code_field, code)
        set_path(body, spec.message_field, message)
        if results is not None:
            set_path(body, spec.results_field, results)
        return body

    def ok(self, results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return self.answer(self.profile.response.ok_codes[0], "ok", results)

    def auth_failed(self, text: str = "token 无效或已过期 invalid or expired token") -> dict[str, Any]:
        return self.answer(self.profile.response.auth_codes[0], text)

    def busy(self) -> dict[str, Any]:
        codes = self.profile.response.retry_codes or [500]
        return self.answer(codes[0], "平台繁忙 simulated server error")

    def invalid(self, text: str) -> dict[str, Any]:
        return self.answer(400, text)

    # ----- receiving -----------------------------------------------------------------------------
    def items_of(self, message: str, body: Any) -> list[Any] | None:
        spec = self.profile.messages[message]
        value = get_path(body, spec.items_field) if spec.items_field else body
        if value is MISSING:
            return None
        if spec.batch:
            return value if isinstance(value, list) else None
        return [value]

    def process(self, message: str, items: list[Any]) -> list[dict[str, Any]]:
        """Judge each record; keep the new valid ones; the per-record results in the profile's terms."""
        response = self.profile.response
        self.requests[message] += 1
        results = []
        self.last_outcomes = []
        for item in items:
            if not isinstance(item, Mapping):
                continue
            rid = self.record_key(message, item)
            status, text = self._judge(message, rid, item)
            self.last_outcomes.append((status, text))
            results.append({response.id_field: rid, response.status_field: response.status_value(status),
                            response.result_message_field: text})  # fmt: skip
        self.notify()
        return results

    def record_key(self, message: str, item: Mapping[str, Any]) -> str:
        """What the platform knows a record by: its key fields ("" when one is missing); a message
        without any (a heartbeat) is a new record every time."""
        keys = self.profile.messages[message].key_fields
        if not keys:
            return f"#{next(self._anonymous)}"
        parts = [get_path(item, k) for k in keys]
        if any(p is MISSING or p in (None, "") for p in parts):
            return ""
        return "|".join(str(p) for p in parts)

    def verdict(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The answer to a request: per-record results, or (per_record: false) a code and a text."""
        response = self.profile.response
        if response.per_record:
            return self.ok(results)
        refused = [text for status, text in self.last_outcomes if status == "rejected"]
        if refused:
            return self.answer(response.reject_code, "; ".join(refused))
        duplicate = any(status == "duplicate" for status, _ in self.last_outcomes)
        return self.answer(response.ok_codes[0], "重复记录，已接收 duplicate" if duplicate else "")

    def _judge(self, message: str, rid: str, item: Mapping[str, Any]) -> tuple[str, str]:
        spec = self.profile.messages[message]
        if not rid:
            return self._reject(message, rid, "缺少记录编号 missing record id")
        if rid in self.received[message]:
            if message.startswith("register_") and self.received[message][rid] != dict(item):
                # Register records are kept as their latest version (upsert by record id).
                if not check_record(self.profile, spec.fields, item):
                    self._keep(message, rid, item)
                    self.updates[message] += 1
                    return "accepted", "更新成功 updated"
            self.duplicates[message] += 1
            return "duplicate", "重复记录，已接收 duplicate"
        problems = check_record(self.profile, spec.fields, item) + self._photo_problems(message, item)
        if problems:
            return self._reject(message, rid, "; ".join(problems))
        if rid in self.faults.reject_ids:
            return self._reject(message, rid, "记录校验不通过 (simulated rejection)")
        for plate_field in self._plate_fields.get(message, []):
            plate = get_path(item, plate_field)
            if plate is not MISSING and plate in self.faults.reject_plates:
                return self._reject(message, rid, f"车牌 {plate} 与备案信息不符 plate not registered")
        self._keep(message, rid, item)
        self.arrivals.append((message, rid))
        return "accepted", "接收成功"

    def _photo_problems(self, message: str, item: Mapping[str, Any]) -> list[str]:
        """Inline photos as this platform wants them: with the `data:` prefix, or bare base64."""
        photos = self.profile.photos
        if message != "passage" or photos.mode != "inline":
            return []
        problems = []
        for name in photos.fields.values():
            value = item.get(name)
            if value in (None, ""):
                continue
            text = str(value)
            if photos.data_uri != text.startswith("data:image/"):
                want = "带 data:image/...;base64, 前缀 with" if photos.data_uri else "不带前缀 without"
                problems.append(f"图片 {name} 编码错误: 须{want} the data: prefix")
                continue
            try:
                base64.b64decode(text.partition(";base64,")[2] if photos.data_uri else text, validate=True)
            except ValueError:
                problems.append(f"图片 {name} 不是 base64 not base64")
        return problems

    # ----- questions -----------------------------------------------------------------------------
    def query(self, name: str, body: Any) -> dict[str, Any]:
        """The answer to a question: the control measure, 一厂一策, or a vehicle check."""
        self.requests[name] += 1
        self.notify()
        spec = self.profile.messages[name]
        answer = self.ok()
        if name == "control":
            set_path(answer, spec.items_field or "data", self.control)
            return answer
        if name != "vehicle_check":
            set_path(answer, spec.items_field or "data", self.one_policy)
            return answer
        items = self.items_of(name, body) or [{}]
        item = items[0] if isinstance(items[0], Mapping) else {}
        problems = check_record(self.profile, spec.fields, item)
        if problems:
            return self.answer(self.profile.response.reject_code, "; ".join(problems))
        self.checks.append(dict(item))
        plate_field = next((f for f, rule in spec.fields.items() if rule.src == "plate"), "")
        ours = dict(
            self.vehicles.get(str(item.get(plate_field)), {"verdict": "deny", "reason": NOT_REGISTERED})
        )
        if "serial" in spec.answer and "serial" not in ours:
            ours["serial"] = f"PT{next(self._serials):010d}"
        set_path(answer, spec.answer_field or "data", self.check_answer(ours))
        return answer

    def check_answer(self, ours: Mapping[str, Any]) -> dict[str, Any]:
        """A vehicle check's answer in the platform's fields (the profile's answer rules, backwards)."""
        spec = self.profile.messages["vehicle_check"]
        rules = {rule.src: FieldRule.model_validate({"from": name, "code": rule.code, "format": rule.format})
                 for name, rule in spec.answer.items() if rule.src and name != "verdict"}  # fmt: skip
        out = map_fields(self.profile, rules, ours)
        verdict = spec.answer.get("verdict")
        if verdict is not None and verdict.src:
            try:
                allow = encode_code(self.profile, verdict.code, "allow", verdict.src) if verdict.code else "0"
            except MappingError:
                allow = "0"
            deny = "0" if str(allow) == "1" else "1"
            out[verdict.src] = allow if ours.get("verdict") == "allow" else deny
        out.update(ours.get("_raw") or {})
        return out

    def _keep(self, message: str, rid: str, item: Mapping[str, Any]) -> None:
        """Hold the record; only the latest ones keep their photos, so a demo running for days stays small."""
        self.received[message][rid] = dict(item)
        self._full.append((message, rid))
        while len(self._full) > KEEP_PHOTOS:
            old_message, old_rid = self._full.popleft()
            old = self.received[old_message].get(old_rid)
            if old is not None:
                for key, value in old.items():
                    if isinstance(value, str) and len(value) > 1024:
                        old[key] = f"<{len(value)} characters, dropped by the simulator>"

    def _reject(self, message: str, rid: str, text: str) -> tuple[str, str]:
        self.rejections.append({"message": message, "id": rid, "reason": text})
        return "rejected", text

    # ----- what tests and the demo look at -------------------------------------------------------
    def ids(self, message: str = "passage") -> list[str]:
        """Record ids of a kind in first-arrival order."""
        return [rid for kind, rid in self.arrivals if kind == message]

    def by_field(self, message: str, field_name: str) -> dict[str, list[str]]:
        """First-arrival order of record ids grouped by one field (the gate)."""
        groups: dict[str, list[str]] = defaultdict(list)
        for rid in self.ids(message):
            groups[str(self.received[message][rid].get(field_name))].append(rid)
        return dict(groups)

    def summary(self) -> dict[str, Any]:
        return {
            "received": {k: len(v) for k, v in self.received.items()},
            "duplicates": dict(self.duplicates),
            "updates": dict(self.updates),
            "rejections": self.rejections[-50:],
            "requests": dict(self.requests),
            "token_grants": self.token_grants,
            "heartbeats": self.heartbeats,
            "auth_failures": self.auth_failures,
            "control": self.control,
            "faults": self.faults.as_dict(),
        }

    def notify(self) -> None:
        if self._changed is not None:
            changed = self._changed

            async def wake() -> None:
                async with changed:
                    changed.notify_all()

            asyncio.get_running_loop().create_task(wake())

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until the predicate holds (checked on every request the simulator processes)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)
