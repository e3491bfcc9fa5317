"""Vehicle identification numbers (VIN, 车辆识别代号; ISO 3779 / GB 16735): normalisation and checks.

Pure, so the register's importers, the HMI forms and the demo fleet agree on what a VIN is.
"""

from __future__ import annotations

import unicodedata

VIN_LENGTH = 17
# I, O and Q are never used: they read as 1 and 0.
VIN_CHARS = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")

_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True))}
_VALUES |= dict(zip("JKLMNPR", (1, 2, 3, 4, 5, 7, 9), strict=True))
_VALUES |= dict(zip("STUVWXYZ", range(2, 10), strict=True))
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise_vin(text: str) -> str:
    """Upper-case, half-width, without spaces or dashes: ` lfw-adrjf1j1000001 ` -> `LFWADRJF1J1000001`."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).upper() if c not in " \t-_·.")


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) of a 17-character VIN made of valid characters."""
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def validate_vin(vin: str, *, check_digit: bool = True) -> str | None:
    """Why a normalised VIN is invalid (Chinese and English), or None if it is valid."""
    if len(vin) != VIN_LENGTH:
        return f"车辆识别代号应为17位 a VIN has 17 characters, got {len(vin)}: {vin!r}"
    bad = [c for c in vin if c not in VIN_CHARS]
    if bad:
        hint = " (I, O, Q are never used; 1 or 0?)" if set(bad) & set("IOQ") else ""
        return f"车辆识别代号含非法字符 VIN {vin!r} has invalid characters {''.join(bad)!r}{hint}"
    if check_digit:
        expected = vin_check_digit(vin)
        if vin[8] != expected:
            return (
                f"车辆识别代号校验位错误 VIN {vin!r}: check digit (9th character) is {vin[8]!r}, "
                f"expected {expected!r}; a typing error?"
            )
    return None
