"""Serial numbers (流水号) of the records a platform keys on.

plant + gate + A/B + yyMMddHHmmss, the pattern gate clients use, collides on a busy gate (two passages in
one second); the ledger sequence number appended makes it unique and stable, so a resend carries the
same serial and the platform keeps one copy. A serial the platform issued at its admission check
(`vehicle.platform_check.serial`, recorded with the passage) is used as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .const import MSG_PASSAGE
from .mapping import as_datetime, encode_code

if TYPE_CHECKING:
    from .profile import Profile

PLATFORM_CHECK = "platform_check"  # the key of the platform's answer in a passage's vehicle snapshot


def issued_serial(passage: Mapping[str, Any]) -> str | None:
    """The serial the platform issued for this passage at its admission check, if it did."""
    check = (passage.get("vehicle") or {}).get(PLATFORM_CHECK)
    serial = check.get("serial") if isinstance(check, Mapping) else None
    return str(serial) if serial else None


def built_serial(profile: Profile, plant_code: str, row: Mapping[str, Any], seq: int, at: Any) -> str:
    spec = profile.serial
    gate = row.get("gate") or ""
    if "gate" in profile.codes:
        gate = encode_code(profile, "gate", gate, "gate")
    direction = spec.direction.get(str(row.get("direction")), "")
    moment = as_datetime(at, profile.tz).strftime(spec.time_format)
    return f"{plant_code if spec.plant else ''}{gate}{direction}{moment}{int(seq):0{spec.seq_digits}d}"


def passage_serial(profile: Profile, plant_code: str, passage: Mapping[str, Any]) -> str:
    return issued_serial(passage) or built_serial(
        profile, plant_code, passage, passage["seq"], passage["recorded_at"]
    )


def uses_serials(profile: Profile, message: str) -> bool:
    """Whether a message (or the photos sent after it) carries serial numbers at all."""
    names = [message, *(["photo"] if message == MSG_PASSAGE else [])]
    specs = [profile.messages[n] for n in names if n in profile.messages]
    return any(rule.src in SERIAL_SOURCES for spec in specs for rule in spec.fields.values())


SERIAL_SOURCES = ("serial", "passage_serial")
PassageOf = Callable[[Mapping[str, Any]], Awaitable[Mapping[str, Any] | None]]


async def async_add_serials(
    profile: Profile, code: str, passage_of: PassageOf, message: str, rows: list[dict[str, Any]],
    sources: list[dict[str, Any]],
) -> None:  # fmt: skip
    """`serial` on each source of a message that carries them; a follow-up also gets its passage's
    (`passage_serial`), read from the ledger by the row it refers to. A gate without a code in the
    profile leaves the serial out, and the record is parked with that reason."""
    if not uses_serials(profile, message):
        return
    for row, source in zip(rows, sources, strict=True):
        try:
            if row.get("kind") == MSG_PASSAGE:
                source["serial"] = passage_serial(profile, code, row)
                continue
            source["serial"] = built_serial(profile, code, row, row["seq"], row["recorded_at"])
            passage = await passage_of(row)
            if passage is not None:
                source["passage_serial"] = passage_serial(profile, code, passage)
        except Exception as err:  # parked by the delivery with this reason
            source["_unmappable"] = f"流水号无法生成 no serial number: {err}"
