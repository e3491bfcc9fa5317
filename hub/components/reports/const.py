"""Names and code labels of the reports: periods, classes, stages, fuels, directions (zh-CN labels)."""

from __future__ import annotations

from typing import Final

from hub.core.const import EventType
from hub.core.events import AnyEventData

DOMAIN: Final = "reports"
# A report file was written (scheduled or asked for).
EVENT_REPORT_WRITTEN: Final = EventType[AnyEventData]("report_written")

KIND_PASSAGE: Final = "passage"
# Diesel and gas apart at the same stage (国五柴油, 国五燃气): the fuel's family.
FUEL_FAMILY: Final = {"B": "diesel", "E": "gas", "F": "gas", "A": "petrol", "C": "electric", "O": "hybrid"}
FAMILY_LABELS: Final = {"diesel": "柴油", "gas": "燃气", "petrol": "汽油", "electric": "电动",
                        "hybrid": "混合动力", "other": "其他"}  # fmt: skip
CLASS_LABELS: Final = {
    "transport": "进出厂运输车辆", "in_plant": "厂内运输车辆", "machinery": "非道路移动机械",
    "unknown": "未登记",
}  # fmt: skip
DIRECTION_LABELS: Final = {"in": "入厂", "out": "出厂"}
DIRECTION_CODES: Final = {"in": "1", "out": "2"}  # spec "One passage": 1 in, 2 out
DECISION_LABELS: Final = {"allow": "放行", "deny": "禁止", "review": "待复核"}
COLOUR_LABELS: Final = {
    "blue": "蓝色", "yellow": "黄色", "green": "绿色", "yellow_green": "黄绿色", "white": "白色",
    "black": "黑色", "unknown": "未知",
}  # fmt: skip
LEVEL_LABELS: Final = {"normal": "无预警", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"}
RESPONSE_LABELS: Final = {"I": "Ⅰ级响应", "II": "Ⅱ级响应", "III": "Ⅲ级响应", "IV": "Ⅳ级响应"}
# Clean-transport road classes (spec "Clean transport ratio").
ROAD_CLASSES: Final = ("new_energy", "stage6", "stage5", "older")
ROAD_CLASS_LABELS: Final = {"new_energy": "新能源", "stage6": "国六", "stage5": "国五", "older": "国四及以下"}
MODES: Final = ("rail", "waterway", "pipeline", "belt")
MODE_LABELS: Final = {"rail": "铁路", "waterway": "水路", "pipeline": "管道", "belt": "管状带式输送/皮带通廊"}
REPORT_FOLDER: Final = "reports"
