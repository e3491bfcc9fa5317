"""The component's tables: each remote-sensing reading with the passage it joined, and each anomaly raised."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class InsightReading(Model):
    id = fields.IntField(primary_key=True)
    reading_id = fields.CharField(max_length=64, unique=True)
    unit = fields.CharField(max_length=64)
    at_ts = fields.BigIntField()
    at = fields.CharField(max_length=32)
    plate_read = fields.CharField(max_length=16, null=True)  # what the unit read, if anything
    valid = fields.BooleanField()
    values = fields.TextField()  # JSON: no_ppm, hc_ppm, co_pct, co2_pct, opacity_pct, speed, accel
    passage_id = fields.CharField(max_length=36, null=True)  # null: joined to nothing (yet)
    method = fields.CharField(max_length=8, null=True)  # plate | lane
    plate = fields.CharField(max_length=16, null=True)  # the passage's plate
    fleet = fields.CharField(max_length=100, null=True)
    emission_stage = fields.CharField(max_length=4, null=True)
    fuel = fields.CharField(max_length=4, null=True)
    exceeded = fields.TextField(default="{}")  # JSON: measure -> [value, limit]

    class Meta:
        table = "insight_reading"
        indexes = (("plate", "at_ts"), ("fleet", "at_ts"), ("at_ts",))


class InsightAnomaly(Model):
    id = fields.IntField(primary_key=True)
    rule = fields.CharField(max_length=32)
    subject = fields.CharField(max_length=100)  # plate, fleet, lane, station/factor
    at_ts = fields.BigIntField()
    at = fields.CharField(max_length=32)
    summary = fields.CharField(max_length=500)
    detail = fields.TextField(default="{}")
    # An officer's acknowledgement (insight.acknowledge, audited like every call): who, when, why.
    ack_user = fields.CharField(max_length=64, null=True)
    ack_at = fields.CharField(max_length=32, null=True)
    ack_note = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "insight_anomaly"
        indexes = (("rule", "at_ts"), ("at_ts",))


class InsightStationHour(Model):
    """Sums of a station's values per hour and record kind (realtime, minute, hour), for the correlation.
    Wind direction is kept as the sums of its sine and cosine (factors wind_sin, wind_cos)."""

    id = fields.IntField(primary_key=True)
    station = fields.CharField(max_length=64)
    factor = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=16)
    hour = fields.BigIntField()  # epoch seconds // 3600
    total = fields.FloatField()
    n = fields.IntField()

    class Meta:
        table = "insight_station_hour"
        unique_together = (("station", "factor", "kind", "hour"),)
