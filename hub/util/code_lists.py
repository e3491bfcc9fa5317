"""The Chinese names of the two code lists every room shows: HJ 1321 emission stages and the public-security
fuel letters (GA 24.9). The register parses them (vehicles/codes.py); the ledger's and the reports' files
name them; the HMI has its own words for each language in its translations."""

from __future__ import annotations

from typing import Final

STAGE_LABELS: Final[dict[str, str]] = {
    "0": "国0", "1": "国一", "2": "国二", "3": "国三", "4": "国四", "5": "国五", "6": "国六",
    "D": "电动", "X": "无排放阶段",
}  # fmt: skip
FUEL_LABELS: Final[dict[str, str]] = {
    "A": "汽油", "B": "柴油", "C": "电", "D": "混合油", "E": "天然气", "F": "液化石油气",
    "L": "甲醇", "M": "乙醇", "N": "太阳能", "O": "混合动力", "Y": "无", "Z": "其他",
}  # fmt: skip
