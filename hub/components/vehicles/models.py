"""The register's tables. `vehicle` holds one row per record (columns for what is searched, the whole
record in `data`, canonical JSON); `vehicle_history` keeps every change (who, when, old, new) and is also
the change feed by which a running hub notices writes of another process (`ecogate vehicles import`);
`vehicle_list` holds the blacklist and the temporary passes.

Ids are assigned by the register (max + 1 inside the writing transaction), so bulk inserts need no
round trip per row on either database.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class VehicleRow(Model):
    id = fields.IntField(primary_key=True, generated=False)
    vclass = fields.CharField(max_length=16)
    key = fields.CharField(max_length=64)
    # Plates and codes are one namespace each across the classes: a plate or code names one record.
    plate = fields.CharField(max_length=16, null=True, unique=True)
    env_code = fields.CharField(max_length=32, null=True, unique=True)
    internal_no = fields.CharField(max_length=32, null=True, unique=True)
    # Added later: an existing table gets the column without its unique index (migrations only add
    # columns); the register keeps tags unique itself, as it does codes.
    rfid_tag = fields.CharField(max_length=64, null=True, unique=True)
    colour = fields.CharField(max_length=16, null=True)
    vin = fields.CharField(max_length=17, null=True)
    vehicle_type = fields.CharField(max_length=32, null=True)
    fuel = fields.CharField(max_length=2, null=True)
    emission_stage = fields.CharField(max_length=2, null=True)
    fleet = fields.CharField(max_length=100, null=True)
    whitelist = fields.CharField(max_length=16, null=True)
    data = fields.TextField()
    created_ts = fields.BigIntField()
    updated_ts = fields.BigIntField()

    class Meta:
        table = "vehicle"
        unique_together = (("vclass", "key"),)
        indexes = (("updated_ts",), ("vin",), ("fleet",))


class VehicleHistory(Model):
    id = fields.BigIntField(primary_key=True)
    vclass = fields.CharField(max_length=16)  # a class, or `blacklist` / `pass` for list entries
    key = fields.CharField(max_length=64)
    record_id = fields.IntField(null=True)  # the vehicle or list row
    action = fields.CharField(max_length=16)  # created, updated, deleted
    changed_ts = fields.BigIntField()
    changed_at = fields.CharField(max_length=32)  # ISO, plant time zone
    user_id = fields.CharField(max_length=64, null=True)
    username = fields.CharField(max_length=64, null=True)
    door = fields.CharField(max_length=16)
    source = fields.CharField(max_length=200, null=True)  # service, file name of an import, cli user
    context_id = fields.CharField(max_length=32, null=True)
    origin = fields.CharField(max_length=32)  # which run of the hub wrote it
    old = fields.TextField(null=True)
    new = fields.TextField(null=True)
    changes = fields.TextField()  # {field: [old, new]}

    class Meta:
        table = "vehicle_history"
        indexes = (("vclass", "key"), ("changed_ts",))


class VehicleListRow(Model):
    id = fields.IntField(primary_key=True, generated=False)
    kind = fields.CharField(max_length=16)  # blacklist, pass
    plate = fields.CharField(max_length=16)
    colour = fields.CharField(max_length=16, null=True)
    reason = fields.CharField(max_length=200)
    source = fields.CharField(max_length=32)  # manual, platform, import
    valid_from_ts = fields.BigIntField(null=True)
    valid_until_ts = fields.BigIntField(null=True)
    approver = fields.CharField(max_length=64, null=True)
    created_ts = fields.BigIntField()
    user_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "vehicle_list"
        indexes = (("kind", "plate"),)
