"""The uplink's own tables: where each platform stands in the ledger, what it parked, its daily figures,
its resend jobs and the few messages that are not ledger rows (alert-level switches). No copy of a
ledger record is kept: the ledger is the outbox."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class UplinkCursor(Model):
    """Per platform: every ledger row up to `acked_seq` is settled (acknowledged, parked or not ours to
    send); `acked_above` lists settled rows beyond it. `sent_seq`: the highest row ever offered.
    `scanned_seq`: rows up to it are counted in the daily `due` figures."""

    platform = fields.CharField(max_length=32, primary_key=True)
    acked_seq = fields.BigIntField(default=0)
    acked_above = fields.TextField(default="[]")  # JSON list of seqs
    sent_seq = fields.BigIntField(default=0)
    scanned_seq = fields.BigIntField(default=0)
    register_seq = fields.BigIntField(null=True)  # the register's change feed: history ids up to it settled
    register_ts = fields.BigIntField(default=-1)  # an older release's timestamp cursor (where seq starts)
    register_seen = fields.TextField(default="[]")  # no longer written
    control_id = fields.CharField(max_length=128, null=True)  # the platform's last applied measure
    created_day = fields.CharField(max_length=10)  # first day this platform was configured
    updated_at = fields.CharField(max_length=32)

    class Meta:
        table = "uplink_cursor"


class UplinkDay(Model):
    """Per platform and plant-time day of the record: due, sent, acknowledged, rejected; the day's
    statistics report and its answer."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    day = fields.CharField(max_length=10)
    due = fields.IntField(default=0)
    sent = fields.IntField(default=0)
    acknowledged = fields.IntField(default=0)
    on_time = fields.IntField(default=0)
    rejected = fields.IntField(default=0)
    duplicates = fields.IntField(default=0)
    stats_status = fields.CharField(max_length=16, null=True)  # accepted, rejected
    stats_message = fields.CharField(max_length=500, null=True)
    stats_at = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "uplink_day"
        unique_together = (("platform", "day"),)


class UplinkParked(Model):
    """A record the platform refused as invalid (or we could not map): kept aside with the reason, shown,
    never retried by itself; a resend of its day, or an accepted resend, clears it."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    seq = fields.BigIntField()
    record_id = fields.CharField(max_length=128)
    passage_id = fields.CharField(max_length=36, null=True)
    kind = fields.CharField(max_length=16)
    day = fields.CharField(max_length=10)
    gate = fields.CharField(max_length=32, null=True)
    plate = fields.CharField(max_length=16, null=True)
    reason = fields.CharField(max_length=500)
    source = fields.CharField(max_length=16)  # platform | mapping
    parked_at = fields.CharField(max_length=32)
    resolved_at = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "uplink_parked"
        unique_together = (("platform", "seq"),)


class UplinkResend(Model):
    """A 补传 job: send the records of [start_ts, end_ts) again, idempotent by record id."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    start_ts = fields.BigIntField()
    end_ts = fields.BigIntField()
    after_seq = fields.BigIntField(null=True)  # progress; None until the start is found
    status = fields.CharField(max_length=16, default="queued")  # queued, running, done
    sent = fields.IntField(default=0)
    accepted = fields.IntField(default=0)
    rejected = fields.IntField(default=0)
    requested_by = fields.CharField(max_length=64, null=True)
    created_at = fields.CharField(max_length=32)
    finished_at = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "uplink_resend"


class UplinkMessage(Model):
    """A message that is no ledger row (an alert-level switch), kept until the platform answers."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=32)
    message_id = fields.CharField(max_length=64)
    payload = fields.TextField()  # JSON
    created_at = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16, default="pending")  # pending, accepted, rejected
    answer = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "uplink_message"
