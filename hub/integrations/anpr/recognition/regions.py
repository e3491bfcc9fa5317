"""The plant's region prior: which provinces (or cities) its vehicles' plates usually come from.

A plant's trucks come mostly from its own province and a few neighbours, and the recognisers' commonest
serious error is the province character (桂 read as 皖, 赣 as 新). A read from an unexpected region is
not rewritten (a truck from far away is rare, not impossible): it goes to the guard when the recogniser was
not sure of that character.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hub.util.plate import normalise_plate

UNLIKELY_SURE = 0.98  # an unexpected province read at least this surely is taken as read


class RegionPrior:
    """Expected plate prefixes: a province character (`晋`) or a province and city letter (`晋A`)."""

    def __init__(self, prefixes: Iterable[str], *, sure: float = UNLIKELY_SURE) -> None:
        self.prefixes = frozenset(normalise_plate(p) for p in prefixes if p and p.strip())
        if any(len(p) > 2 or p[0].isascii() for p in self.prefixes):
            raise ValueError(
                "a region is a province character, optionally followed by a city letter, "
                f"got {sorted(self.prefixes)}"
            )
        self.sure = sure

    @classmethod
    def from_plates(
        cls, plates: Iterable[str], *, min_share: float = 0.02, min_count: int = 2
    ) -> RegionPrior:
        """The provinces of a register's plates that are not one-offs (at least `min_count` plates and
        `min_share` of all): learned from the plant's own traffic."""
        provinces = Counter(normalise_plate(p)[:1] for p in plates if p)
        total = sum(provinces.values())
        return cls(p for p, n in provinces.items() if p and n >= min_count and n >= min_share * total)

    def __bool__(self) -> bool:
        return bool(self.prefixes)

    def expected(self, plate: str) -> bool:
        return not self.prefixes or plate[:1] in self.prefixes or plate[:2] in self.prefixes

    def doubts(self, plate: str, char_confidences: tuple[float, ...]) -> bool:
        """An unexpected region read without certainty of the province (and city letter, if the prior
        names cities) is one for the guard to confirm."""
        if self.expected(plate) or not char_confidences:
            return False
        named = 2 if any(len(p) == 2 for p in self.prefixes) else 1
        return min(char_confidences[:named]) < self.sure
