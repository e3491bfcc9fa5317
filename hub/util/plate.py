"""Chinese licence-plate grammar (GA 36-2018): normalisation, validation, plate colours.

Pure and table-driven so that the recogniser, the policy, the HMI forms and the importers all agree on what a
plate is. Importing this module must stay cheap: no OpenCV, no numpy.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class PlateColour(StrEnum):
    """Plate background colour, the hub's internal code list (platform profiles map it to their numbers)."""

    BLUE = "blue"
    YELLOW = "yellow"
    GREEN = "green"  # small new-energy vehicle (gradient green)
    WHITE = "white"  # police, armed police, military
    BLACK = "black"  # foreign-owned, embassy, consulate, Hong Kong / Macau cross-border
    YELLOW_GREEN = "yellow_green"  # large new-energy vehicle
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The Chinese name shown to the guard."""
        return _COLOUR_LABELS[self]


_COLOUR_LABELS = {
    PlateColour.BLUE: "蓝牌",
    PlateColour.YELLOW: "黄牌",
    PlateColour.GREEN: "绿牌",
    PlateColour.WHITE: "白牌",
    PlateColour.BLACK: "黑牌",
    PlateColour.YELLOW_GREEN: "黄绿牌",
    PlateColour.UNKNOWN: "未知",
}

# The 31 province-level abbreviations that open an ordinary plate.
PROVINCES = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
DIGITS = frozenset("0123456789")
# Plates never use I or O in the serial (they read as 1 and 0); O survives only as the issuing-authority
# letter of the public-security series (粤O), so it is allowed in position 2 and nowhere else.
LETTERS = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ")
AUTHORITY_LETTERS = LETTERS | {"O"}
ALNUM = LETTERS | DIGITS
# New-energy serial letter: D, A-C, E pure electric; F, G, H, J, K other new-energy (GA 36-2018 and its
# 2022 extension of the small-vehicle series).
NEW_ENERGY_LETTERS = frozenset("ABCDEFGHJK")
# Last character of special series, with the colour each one is issued in.
SPECIAL_SUFFIXES: dict[str, PlateColour] = {
    "学": PlateColour.YELLOW,  # driving-school coach
    "挂": PlateColour.YELLOW,  # trailer
    "警": PlateColour.WHITE,  # police
    "领": PlateColour.BLACK,  # consulate
    "港": PlateColour.BLACK,  # Hong Kong cross-border (粤Z)
    "澳": PlateColour.BLACK,  # Macau cross-border (粤Z)
}
EMBASSY_PREFIX = "使"

_SEPARATORS = frozenset("·•・‧∙-_. \t")
_ORDINARY_COLOURS = frozenset({PlateColour.BLUE, PlateColour.YELLOW, PlateColour.BLACK, PlateColour.WHITE})
_NEW_ENERGY_COLOURS = frozenset({PlateColour.GREEN, PlateColour.YELLOW_GREEN})


@dataclass(frozen=True, slots=True)
class PlatePattern:
    """One kind of plate: the characters allowed at each position and the colours it is issued in."""

    kind: str
    positions: tuple[frozenset[str], ...]
    colours: frozenset[PlateColour]

    def matches(self, plate: str) -> bool:
        return len(plate) == len(self.positions) and all(
            char in allowed for char, allowed in zip(plate, self.positions, strict=True)
        )


def _suffix_pattern(kind: str, suffixes: str) -> PlatePattern:
    colours = frozenset(SPECIAL_SUFFIXES[s] for s in suffixes)
    return PlatePattern(kind, (PROVINCES, LETTERS, *[ALNUM] * 4, frozenset(suffixes)), colours)


PLATE_PATTERNS: tuple[PlatePattern, ...] = (
    PlatePattern("ordinary", (PROVINCES, AUTHORITY_LETTERS, *[ALNUM] * 5), _ORDINARY_COLOURS),
    PlatePattern(
        "new_energy_small",
        (PROVINCES, LETTERS, NEW_ENERGY_LETTERS, ALNUM, *[DIGITS] * 4),
        _NEW_ENERGY_COLOURS,
    ),
    PlatePattern(
        "new_energy_large", (PROVINCES, LETTERS, *[DIGITS] * 5, NEW_ENERGY_LETTERS), _NEW_ENERGY_COLOURS
    ),
    _suffix_pattern("coach", "学"),
    _suffix_pattern("trailer", "挂"),
    _suffix_pattern("police", "警"),
    _suffix_pattern("consulate", "领"),
    PlatePattern(
        "hong_kong_macau",
        (frozenset("粤"), frozenset("Z"), *[ALNUM] * 4, frozenset("港澳")),
        frozenset({PlateColour.BLACK}),
    ),
    PlatePattern("embassy", (frozenset(EMBASSY_PREFIX), *[DIGITS] * 6), frozenset({PlateColour.BLACK})),
)
_NEW_ENERGY_KINDS = frozenset({"new_energy_small", "new_energy_large"})


def normalise_plate(text: str) -> str:
    """Canonical form of a plate typed by a person or read by a camera: 粤b·d12345 -> 粤BD12345.

    Full-width characters become half-width, separators go, letters are upper-cased, and after the
    issuing-authority letter O and I become 0 and 1 (they are not used in serials).
    """
    chars = [c for c in unicodedata.normalize("NFKC", text).upper() if c not in _SEPARATORS]
    return "".join(chars[:2]) + "".join(chars[2:]).replace("O", "0").replace("I", "1")


def plate_kind(plate: str) -> str | None:
    """Name of the first pattern a normalised plate matches (`ordinary`, `new_energy_small` ...), or None."""
    return next((p.kind for p in PLATE_PATTERNS if p.matches(plate)), None)


def is_new_energy(plate: str) -> bool:
    """True for a valid 8-character new-energy plate."""
    return plate_kind(plate) in _NEW_ENERGY_KINDS


def validate_plate(plate: str, colour: PlateColour | str | None = None) -> str | None:
    """Why a normalised plate (optionally with its colour) is not a valid Chinese plate, or None if it is."""
    if colour is not None:
        try:
            colour = PlateColour(colour)
        except ValueError:
            return f"unknown plate colour {colour!r}"
    if len(plate) not in (7, 8):
        return f"a plate has 7 characters (8 for new-energy vehicles), got {len(plate)}: {plate!r}"
    if plate[0] not in PROVINCES and plate[0] != EMBASSY_PREFIX:
        return f"{plate!r} must start with a province abbreviation such as 京 or 粤, not {plate[0]!r}"
    candidates = [p for p in PLATE_PATTERNS if len(p.positions) == len(plate) and plate[0] in p.positions[0]]
    matching = [p for p in candidates if p.matches(plate)]
    if not matching:
        return _explain_mismatch(plate, candidates)
    if colour is None or colour is PlateColour.UNKNOWN:
        return None
    if any(colour in p.colours for p in matching):
        return None
    allowed = " or ".join(sorted({c.value for p in matching for c in p.colours}))
    kind = matching[0].kind.replace("_", "-")
    return f"{plate!r} ({kind} plate) cannot be {colour.value}; expected {allowed}"


def _explain_mismatch(plate: str, candidates: list[PlatePattern]) -> str:
    """Name the first wrong character, judged against the pattern the plate gets furthest in."""

    def first_bad(pattern: PlatePattern) -> int:
        return next(i for i, (c, ok) in enumerate(zip(plate, pattern.positions, strict=True)) if c not in ok)

    best = max(candidates, key=first_bad)
    position = first_bad(best)
    char = plate[position]
    if len(plate) == 8:
        return (
            f"{plate!r} is not a new-energy plate: after the province and letter, either D/F (or A-K) then a "
            f"letter or digit and four digits, or five digits then D/F (or A-K); {char!r} at position "
            f"{position + 1} does not fit"
        )
    if char in "IO":
        return f"{plate!r}: plates do not use the letter {char} (position {position + 1}); 1 or 0?"
    expected = _describe(best.positions[position])
    return f"{plate!r}: {char!r} at position {position + 1} is not allowed there; expected {expected}"


def _describe(allowed: frozenset[str]) -> str:
    if allowed <= DIGITS:
        return "a digit"
    if allowed <= AUTHORITY_LETTERS:
        return "a letter"
    if allowed <= ALNUM:
        return "a letter or digit"
    extra = "".join(sorted(allowed - ALNUM))
    return f"a letter, digit or one of {extra}" if allowed & ALNUM else f"one of {extra}"


def checked_plate(value: str) -> str:
    """The normalised plate, for a schema validator: ValueError with the reason if it is not valid."""
    plate = normalise_plate(value)
    if problem := validate_plate(plate):
        raise ValueError(problem)
    return plate
