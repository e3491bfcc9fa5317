"""The core's own tables: users and the entity/device registries."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class UserRow(Model):
    id = fields.CharField(pk=True, max_length=26)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=200)
    roles = fields.CharField(max_length=200)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_user"


class EntityRow(Model):
    """Identity of an entity: `unique_id` never changes; `entity_id` may be renamed by a person."""

    id = fields.IntField(pk=True)
    platform = fields.CharField(max_length=64)
    unique_id = fields.CharField(max_length=255)
    entity_id = fields.CharField(max_length=255, unique=True)
    device_id = fields.CharField(max_length=255, null=True)
    name = fields.CharField(max_length=255, null=True)
    disabled = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_entity"
        unique_together = (("platform", "unique_id"),)


class DeviceRow(Model):
    id = fields.CharField(pk=True, max_length=255)
    integration = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    manufacturer = fields.CharField(max_length=255, null=True)
    model = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_device"
