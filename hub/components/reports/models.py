"""The reports' own tables: tonnage moved by other modes than road (entered or imported per period), and
the report files written (scheduled or asked for). Rows are only added; a correction is a new entry that
replaces an older one (`replaces`), so what was entered stays visible."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OtherModeTonnage(Model):
    """Rail, waterway, pipeline or belt-corridor tonnage of a period (清洁运输: 铁路/水路/管道/皮带通廊)."""

    id = fields.IntField(primary_key=True)
    mode = fields.CharField(max_length=16)
    direction = fields.CharField(max_length=4)  # in, out
    first_day = fields.CharField(max_length=10)  # ISO date, inclusive
    last_day = fields.CharField(max_length=10)
    tonnes = fields.FloatField()
    cargo = fields.CharField(max_length=100, null=True)
    source = fields.CharField(max_length=500)  # 数据来源 (a waybill list, the ERP export, ...)
    entered_by = fields.CharField(max_length=64, null=True)
    entered_at = fields.CharField(max_length=32)
    file = fields.CharField(max_length=200, null=True)  # the imported file's name and SHA-256
    replaces = fields.IntField(null=True)  # an entry this one corrects

    class Meta:
        table = "reports_tonnage"
        indexes = (("first_day", "last_day"),)


class ReportFile(Model):
    """A report written to the reports folder: what, for which period, its SHA-256, who asked."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    kind = fields.CharField(max_length=32)
    period_start = fields.CharField(max_length=10)
    period_end = fields.CharField(max_length=10)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    rows = fields.IntField()
    created_at = fields.CharField(max_length=32)
    created_by = fields.CharField(max_length=64, null=True)  # a user id, or `schedule`

    class Meta:
        table = "reports_file"
