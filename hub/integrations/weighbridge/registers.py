"""Weights in Modbus registers: indicators keep a 32-bit count in two 16-bit registers."""

from __future__ import annotations

from typing import Literal

WordOrder = Literal["high_first", "low_first"]


def weight_from_registers(words: list[int], word_order: WordOrder, signed: bool) -> int:
    """Two 16-bit registers as one 32-bit count; indicators differ in which word comes first."""
    high, low = (words[0], words[1]) if word_order == "high_first" else (words[1], words[0])
    value = (high & 0xFFFF) << 16 | (low & 0xFFFF)
    if signed and value & 0x8000_0000:
        value -= 1 << 32
    return value


def weight_to_registers(value: int, word_order: WordOrder) -> list[int]:
    value &= 0xFFFF_FFFF
    high, low = value >> 16, value & 0xFFFF
    return [high, low] if word_order == "high_first" else [low, high]
