"""Constants of the MQTT bridge: topics, payloads, timings, the Home Assistant vocabulary it speaks."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "mqtt"

ONLINE: Final = "online"
OFFLINE: Final = "offline"
# Home Assistant's MQTT entities read this payload as "no value" (unknown).
HA_NONE: Final = "None"
# Barrier command payloads, as Home Assistant's MQTT cover sends them by default.
PAYLOAD_OPEN: Final = "OPEN"
PAYLOAD_CLOSE: Final = "CLOSE"
ALERT_LEVEL_ENTITY: Final = "select.plant_alert_level"
ALERT_LEVELS: Final = ("normal", "yellow", "orange", "red")
# Optional keys of a JSON alert-level command besides `level` (policy.set_alert_level's schema).
ALERT_LEVEL_EXTRA_KEYS: Final = frozenset({"measure_code", "start", "end", "reason"})
# Kinds of ledger rows that `passage_recorded` carries (every kind except checkpoint).
RECORD_KINDS: Final = ("passage", "release", "correction", "weight", "cargo", "acceptance", "lifecycle")

MAX_COMMAND_BYTES: Final = 4096
MAX_SENSOR_PAYLOAD_BYTES: Final = 65536
MISC_INTERVAL: Final = 1.0  # paho's keepalive bookkeeping runs this often
STOP_TIMEOUT: Final = 3.0  # how long a clean stop waits for `offline` and DISCONNECT to leave
MAX_READS_PER_WAKEUP: Final = 1000  # TLS may hold several decrypted packets after one readable event

# The Home Assistant MQTT platforms this bridge maps hub entities onto; any other hub domain is
# published as a sensor (its state as text).
HA_COMPONENTS: Final = frozenset({"sensor", "binary_sensor", "cover", "select"})
SW_VERSION: Final = "0.1.0"
# Device classes Home Assistant accepts per platform; any other class would make it reject the
# whole discovery config, so the bridge leaves such a class out.
HA_DEVICE_CLASSES: Final[dict[str, frozenset[str]]] = {
    "sensor": frozenset(
        "apparent_power aqi area atmospheric_pressure battery carbon_dioxide carbon_monoxide conductivity "
        "current data_rate data_size distance duration energy energy_storage frequency gas humidity "
        "illuminance irradiance moisture monetary nitrogen_dioxide nitrogen_monoxide nitrous_oxide ozone "
        "ph pm1 pm10 pm25 power_factor power precipitation precipitation_intensity pressure "
        "reactive_power signal_strength sound_pressure speed sulphur_dioxide temperature "
        "volatile_organic_compounds volatile_organic_compounds_parts voltage volume volume_flow_rate "
        "volume_storage water weight wind_direction wind_speed".split()
    ),
    "binary_sensor": frozenset(
        "battery battery_charging carbon_monoxide cold connectivity door garage_door gas heat light lock "
        "moisture motion moving occupancy opening plug power presence problem running safety smoke sound "
        "tamper update vibration window".split()
    ),
    "cover": frozenset("awning blind curtain damper door garage gate shade shutter window".split()),
    "select": frozenset(),
}
COVER_STATES: Final = ("open", "opening", "closed", "closing")
# An empty hub state (a blank LED display) travels as this: an empty retained payload would delete
# the retained state instead, and Home Assistant ignores an empty state, showing the old text on.
EMPTY_STATE: Final = "<empty>"
# Plate reads of a lane as Home Assistant events: the decision of a passage, or its release.
PLATE_READ_TYPES: Final = ("allow", "deny", "review", "released")
PHOTO_KINDS: Final = ("plate", "scene")  # the latest photos of a lane, as `image` entities
# Counters that only grow (they start again each day): `total_increasing` lets Home Assistant take
# the midnight drop as a reset, not as a negative count.
TOTAL_INCREASING_KEYS: Final = frozenset(
    "plant_entries_today plant_exits_today plant_denied_today plant_released_today frames_dropped".split()
)
# The lane's own entities, by (integration of their device, description key): published under one
# Home Assistant device per lane, named as a person calls the lane.
LANE_ENTITY_KEYS: Final = frozenset({("policy", "decision"), ("barrier", "display")})
# Names of the lane's entities under the lane device (zh-CN, en), by key.
LANE_COMPONENT_NAMES: Final[dict[str, tuple[str, str]]] = {
    "decision": ("准入决策", "Decision"),
    "display": ("显示屏", "Display"),
    "plate_read": ("车牌识别", "Plate read"),
    "plate_photo": ("车牌照片", "Plate photo"),
    "scene_photo": ("现场照片", "Scene photo"),
}
ANNOUNCE_SLICE: Final = 50  # entities announced between two yields to the loop
