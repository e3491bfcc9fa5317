"""The ledger's tables. `ledger_record` and `ledger_audit` are append-only hash chains; the columns are
what queries filter on, everything else of a record sits in `data` (canonical JSON). The writer inserts
with plain SQL (see writer.py); these models exist so that the hub creates the tables and indexes."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LedgerRecord(Model):
    """One link of the passage chain: a passage, or a follow-up row pointing at one (ref_seq)."""

    seq = fields.BigIntField(primary_key=True, generated=False)
    kind = fields.CharField(max_length=16)
    passage_id = fields.CharField(max_length=36, null=True)
    ref_seq = fields.BigIntField(null=True)  # the passage row a follow-up amends
    recorded_ts = fields.BigIntField()  # epoch seconds, for range queries
    recorded_at = fields.CharField(max_length=32)  # ISO 8601 to the second, plant time zone
    gate = fields.CharField(max_length=32, null=True)
    lane = fields.CharField(max_length=32, null=True)
    direction = fields.CharField(max_length=4, null=True)
    plate = fields.CharField(max_length=16, null=True)  # a correction row holds the corrected plate
    colour = fields.CharField(max_length=16, null=True)
    vehicle_class = fields.CharField(max_length=16, null=True)
    emission_stage = fields.CharField(max_length=4, null=True)
    fuel = fields.CharField(max_length=4, null=True)
    fleet = fields.CharField(max_length=100, null=True)
    decision = fields.CharField(max_length=8, null=True)
    reason_code = fields.CharField(max_length=32, null=True)
    status = fields.CharField(max_length=16, null=True)  # lifecycle state, acceptance status
    actor = fields.CharField(max_length=64, null=True)  # user who released/corrected
    photo_plate = fields.CharField(max_length=64, null=True)
    photo_scene = fields.CharField(max_length=64, null=True)
    data = fields.TextField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    # Added 2026-12, last: a new database has its columns in the order a migrated one has them.
    rfid = fields.CharField(max_length=64, null=True)  # the lane's RFID tag seen with the read

    class Meta:
        table = "ledger_record"
        indexes = (
            ("plate", "recorded_ts"),
            ("kind", "recorded_ts", "emission_stage"),
            ("passage_id", "kind"),
        )


class LedgerAudit(Model):
    """One link of the audit chain: who did what, through which door, with what outcome."""

    seq = fields.BigIntField(primary_key=True, generated=False)
    at_ts = fields.BigIntField()
    at = fields.CharField(max_length=32)
    user_id = fields.CharField(max_length=64, null=True)
    username = fields.CharField(max_length=64, null=True)
    door = fields.CharField(max_length=16)
    action = fields.CharField(max_length=64)
    outcome = fields.CharField(max_length=16)
    target = fields.CharField(max_length=128, null=True)
    detail = fields.TextField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "ledger_audit"
        indexes = (("at_ts",), ("user_id", "at_ts"), ("action", "at_ts"))


class LedgerCheckpoint(Model):
    """Where a retention run cut the passage chain: the first kept row must link to `hash`."""

    id = fields.IntField(primary_key=True)
    through_seq = fields.BigIntField()
    hash = fields.CharField(max_length=64)
    pruned_rows = fields.BigIntField()
    cutoff = fields.CharField(max_length=32)
    checkpoint_seq = fields.BigIntField()  # the chain row that states the same, so this row cannot lie
    created_at = fields.CharField(max_length=32)

    class Meta:
        table = "ledger_checkpoint"


class LedgerEvidence(Model):
    """Which rows use a photo file, so that retention deletes a file only when no kept row needs it."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    size = fields.IntField()
    first_seq = fields.BigIntField()
    last_seq = fields.BigIntField()

    class Meta:
        table = "ledger_evidence"


class LedgerEvidencePending(Model):
    """Where releases before 2026-12 kept small photos until they were filed. Nothing is written here
    any more; what an older database holds is filed once at start (legacy.py)."""

    sha256 = fields.CharField(max_length=64, primary_key=True)
    content = fields.BinaryField()

    class Meta:
        table = "ledger_evidence_pending"
