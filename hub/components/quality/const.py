"""Names of the data-quality rules, their severities and Chinese names, the summary event."""

from __future__ import annotations

from typing import Final

from hub.core.const import EventType

DOMAIN: Final = "quality"
# Fired after every run (scheduled or asked for): the day or range, new findings per rule, open counts.
EVENT_QUALITY_SUMMARY: Final = EventType[dict[str, object]]("quality_summary")

SEVERITIES: Final = ("info", "warning", "error")
STATUS_OPEN: Final = "open"
STATUS_ACKNOWLEDGED: Final = "acknowledged"
STATUS_RESOLVED: Final = "resolved"  # a register or uplink defect no longer seen by a later run
STATUSES: Final = (STATUS_OPEN, STATUS_ACKNOWLEDGED, STATUS_RESOLVED)
MAX_RECORDS: Final = 50  # record seqs kept with one finding (a gap or a skewed camera may touch hundreds)

# rule -> (default severity, 中文名称, English name). Order: how lists and the summary show them.
RULES: Final[dict[str, tuple[str, str, str]]] = {
    "exit_before_entry": ("warning", "先出后进", "Exit recorded before its entry"),
    "exit_without_entry": ("warning", "有出无进", "Exit without an entry"),
    "short_trip": ("warning", "进出间隔异常", "In and out within an implausible interval"),
    "trips_per_day": ("warning", "日车次异常", "More trips a day than plausible"),
    "repeated_read": ("info", "重复识别", "Repeated read of one vehicle"),
    "missing_photo": ("warning", "缺少抓拍照片", "Passage without plate or scene photo"),
    "weight_missing": ("warning", "未关联过磅", "Weighbridge lane, no weight joined"),
    "volume_missing": ("warning", "运输量或单位缺失", "Transport volume empty or unit missing"),
    "cargo_weight_implausible": ("warning", "货物与重量不符", "Cargo and weight implausible"),
    "register_incomplete": ("warning", "备案信息不全", "Register record incomplete"),
    "stage_date_inconsistent": ("warning", "排放阶段与注册日期不符", "Emission stage vs registration date"),
    "clock_skew": ("warning", "设备时钟偏差", "Device clock skew"),
    "stream_gap": ("warning", "数据流中断", "Gap in a lane's stream in working hours"),
    "upload_backlog": ("warning", "上传积压", "Upload backlog"),
    "upload_rejected": ("error", "平台拒收记录", "Records rejected by the platform"),
    "unregistered_in_plant": ("warning", "未备案厂内车辆/机械", "In-plant vehicle/machinery unregistered"),
}
# Rules about a state (the register, the uplink) rather than a day's passages: a later run that no
# longer sees the defect marks the open finding resolved.
STATE_RULES: Final = frozenset(
    {"register_incomplete", "stage_date_inconsistent", "upload_backlog", "upload_rejected"}
)
