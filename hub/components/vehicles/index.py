"""The register in memory: every record by plate and by code, and the blacklist and temporary passes.

`lookup` is on the path of every gate decision, so it is a few dict reads, no I/O. The register keeps
this index in step with the database on every write (and picks up writes of other processes, see
register.py); nothing else writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .codes import is_heavy
from .fields import DOCUMENTS, VehicleClass
from .validate import codes_of

KIND_BLACKLIST = "blacklist"
KIND_PASS = "pass"
# A plate the guard must look at on its next arrival (e.g. a remote-sensing high emitter): not denied,
# sent to review with the mark's reason. One per plate, like the blacklist.
KIND_REVIEW = "review"


@dataclass(slots=True)
class Entry:
    """One register record as stored, plus the part of its lookup answer that depends on it alone."""

    id: int
    vclass: VehicleClass
    key: str
    record: dict[str, Any]
    created_ts: int
    updated_ts: int
    answer: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        r = self.record
        machinery = self.vclass is VehicleClass.MACHINERY
        self.answer = {
            "vehicle_class": self.vclass.value,
            "registered": True,
            "key": self.key,
            "plate": r.get("plate"),
            "colour": r.get("colour"),
            "vin": r.get("vin"),
            "vehicle_type": r.get("machine_type") if machinery else r.get("vehicle_type"),
            "heavy": is_heavy(r.get("vehicle_type")),
            "fuel": r.get("fuel"),
            "emission_stage": r.get("emission_stage"),
            "registration_date": r.get("registration_date"),
            "production_date": r.get("production_date"),
            "fleet": r.get("fleet"),
            "owner": r.get("owner"),
            "network_status": r.get("network_status"),
            "env_code": r.get("env_code"),
            "internal_no": r.get("internal_no"),
            "whitelist": r.get("whitelist"),
            "special": bool(r.get("special")),
            "hazardous": bool(r.get("hazardous")),
            # Only machinery can be taken out of use in the register; the policy adds the alert rules.
            "usable_today": r.get("usable") is not False,
            "documents_complete": any(r.get(name) for name in DOCUMENTS[self.vclass]),
        }

    def public(self) -> dict[str, Any]:
        """The record as services and events show it."""
        return {"class": self.vclass.value, "key": self.key, **self.record, "updated_ts": self.updated_ts}


@dataclass(slots=True)
class ListEntry:
    """A blacklist entry or a temporary pass for one plate."""

    id: int
    kind: str
    plate: str
    colour: str | None
    reason: str
    source: str
    valid_from_ts: int | None
    valid_until_ts: int | None
    valid_from: str | None  # ISO, plant time zone
    valid_until: str | None
    approver: str | None
    created_ts: int
    user_id: str | None

    def active(self, now_ts: float) -> bool:
        return (self.valid_from_ts is None or self.valid_from_ts <= now_ts) and (
            self.valid_until_ts is None or now_ts < self.valid_until_ts
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "plate": self.plate, "colour": self.colour,
            "reason": self.reason,
            "source": self.source, "valid_from": self.valid_from, "valid_until": self.valid_until,
            "approver": self.approver, "created_ts": self.created_ts, "user_id": self.user_id,
        }  # fmt: skip


_NOT_REGISTERED = dict.fromkeys(
    ("key", "vin", "vehicle_type", "fuel", "emission_stage", "registration_date", "production_date", "fleet",
     "owner", "network_status", "env_code", "internal_no", "whitelist"),
)  # fmt: skip


class RegisterIndex:
    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}
        self.by_plate: dict[str, Entry] = {}
        self.by_code: dict[str, Entry] = {}
        self.by_tag: dict[str, Entry] = {}  # RFID tags: they find a record, but are no name of it
        self.lists: dict[int, ListEntry] = {}
        self.blacklist: dict[str, ListEntry] = {}
        self.passes: dict[str, list[ListEntry]] = {}
        self.review_marks: dict[str, ListEntry] = {}
        self.version = 0  # counts record changes, so that sorted views know when to rebuild

    # ----- records -----------------------------------------------------------------------------------
    def put(self, entry: Entry) -> None:
        self.remove(entry.id)
        self.version += 1
        self.entries[entry.id] = entry
        if entry.record.get("plate"):
            self.by_plate[entry.record["plate"]] = entry
        for code in codes_of(entry.record):
            self.by_code[code] = entry
        if entry.record.get("rfid_tag"):
            self.by_tag[entry.record["rfid_tag"]] = entry

    def remove(self, entry_id: int) -> Entry | None:
        old = self.entries.pop(entry_id, None)
        if old is not None:
            self.version += 1
            if self.by_plate.get(old.record.get("plate") or "") is old:
                del self.by_plate[old.record["plate"]]
            for code in codes_of(old.record):
                if self.by_code.get(code) is old:
                    del self.by_code[code]
            if self.by_tag.get(old.record.get("rfid_tag") or "") is old:
                del self.by_tag[old.record["rfid_tag"]]
        return old

    def find(self, key: str, vclass: VehicleClass | None = None) -> Entry | None:
        """The record called `key` (a plate or a code), optionally only of one class."""
        entry = self.by_plate.get(key) or self.by_code.get(key)
        return entry if entry is not None and (vclass is None or entry.vclass is vclass) else None

    def claimants(self, record: Mapping[str, Any]) -> list[Entry]:
        """The records that already hold one of this record's plate or codes (distinct, in order)."""
        found: list[Entry] = []
        for entry in (
            self.by_plate.get(record.get("plate") or ""),
            *(self.by_code.get(c) for c in codes_of(record)),
        ):
            if entry is not None and entry not in found:
                found.append(entry)
        return found

    # ----- lists -------------------------------------------------------------------------------------
    def put_list(self, item: ListEntry) -> None:
        self.remove_list(item.id)
        self.lists[item.id] = item
        if item.kind == KIND_BLACKLIST:
            self.blacklist[item.plate] = item
        elif item.kind == KIND_REVIEW:
            self.review_marks[item.plate] = item
        else:
            self.passes.setdefault(item.plate, []).append(item)

    def remove_list(self, item_id: int) -> ListEntry | None:
        old = self.lists.pop(item_id, None)
        if old is None:
            return None
        if old.kind in (KIND_BLACKLIST, KIND_REVIEW):
            marks = self.blacklist if old.kind == KIND_BLACKLIST else self.review_marks
            if marks.get(old.plate) is old:
                del marks[old.plate]
        else:
            remaining = [p for p in self.passes.get(old.plate, []) if p is not old]
            if remaining:
                self.passes[old.plate] = remaining
            else:
                self.passes.pop(old.plate, None)
        return old

    def active_pass(self, plate: str, now_ts: float) -> ListEntry | None:
        """The running pass that lasts longest, if any."""
        best: ListEntry | None = None
        for item in self.passes.get(plate, ()):
            if item.active(now_ts) and (
                best is None or (item.valid_until_ts or float("inf")) > (best.valid_until_ts or float("inf"))
            ):
                best = item
        return best

    # ----- the hot path ------------------------------------------------------------------------------
    def lookup(
        self, plate: str | None, colour: str | None, code: str | None, now_ts: float, tag: str | None = None
    ) -> dict[str, Any] | None:
        """What the register knows of a plate (or a machine's code, or an RFID tag): None when nothing."""
        entry = (
            (self.by_plate.get(plate) if plate else None)
            or (self.by_code.get(code) if code else None)
            or (self.by_tag.get(tag) if tag else None)
        )
        if plate is None and entry is not None:
            plate = entry.record.get("plate")
        banned = self.blacklist.get(plate) if plate else None
        if banned is not None and not banned.active(now_ts):
            banned = None
        permit = self.active_pass(plate, now_ts) if plate else None
        mark = self.review_marks.get(plate) if plate else None
        if mark is not None and not mark.active(now_ts):
            mark = None
        if entry is None and banned is None and permit is None and mark is None:
            return None
        if entry is not None:
            answer = dict(entry.answer)
            answer["colour_mismatch"] = bool(
                colour and colour != "unknown" and answer["colour"] and colour != answer["colour"]
            )
        else:
            answer = {
                "vehicle_class": "unknown", "registered": False, "plate": plate, "colour": colour,
                **_NOT_REGISTERED, "heavy": False, "special": False, "hazardous": False, "usable_today": True,
                "documents_complete": False, "colour_mismatch": False,
            }  # fmt: skip
        answer["blacklisted"] = banned is not None
        answer["blacklist_reason"] = banned.reason if banned else None
        answer["review_reason"] = mark.reason if mark else None
        answer["temporary_pass"] = (
            {"valid_from": permit.valid_from, "valid_until": permit.valid_until, "reason": permit.reason,
             "approver": permit.approver, "id": permit.id}
            if permit else None
        )  # fmt: skip
        return answer
