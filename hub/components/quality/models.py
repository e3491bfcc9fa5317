"""The findings table: one row per defect found (a rule and a key naming what it is about), kept for
good. A later run that finds the same defect again does not add a row; acknowledging one records who,
when and why in the row (and the service call in the audit log)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class QualityFinding(Model):
    id = fields.IntField(primary_key=True)
    rule = fields.CharField(max_length=32)
    key = fields.CharField(max_length=200)  # what the finding is about, unique within its rule
    severity = fields.CharField(max_length=8)
    day = fields.CharField(max_length=10)  # plant-time day of the first record involved (or of the run)
    subject = fields.CharField(max_length=100, null=True)  # plate, lane, platform, register key
    summary = fields.CharField(max_length=500)
    seqs = fields.TextField(default="[]")  # ledger record seqs involved (JSON list)
    detail = fields.TextField(default="{}")  # JSON
    found_ts = fields.BigIntField()
    found_at = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16, default="open")
    resolved_at = fields.CharField(max_length=32, null=True)
    ack_user = fields.CharField(max_length=64, null=True)
    ack_at = fields.CharField(max_length=32, null=True)
    ack_note = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "quality_finding"
        unique_together = (("rule", "key"),)
        indexes = (("status", "rule"), ("day", "rule"))
