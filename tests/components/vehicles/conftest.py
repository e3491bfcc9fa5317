"""Register fixtures: a hub with the vehicles component, users of each role, sample records."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from hub.core import Context
from hub.core.auth import Role
from hub.util.vin import vin_check_digit

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"document"


def vin(n: int) -> str:
    """A valid VIN (check digit computed) numbered n."""
    body = f"LFWADRJF0J{n:07d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def transport(n: int = 1, **overrides: Any) -> dict[str, Any]:
    record = {
        "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_type": "重型半挂牵引车", "vin": vin(n),
        "engine_no": f"E{n:06d}", "registration_date": "2021-05-01", "brand_model": "解放牌CA4250",
        "fuel": "B", "emission_stage": "6", "usage": "货运", "gross_mass_kg": 25000, "kerb_mass_kg": 9000,
        "rated_load_kg": 0, "towing_mass_kg": 40000, "owner": "唐山顺达物流有限公司",
        "fleet": "唐山顺达物流有限公司", "network_status": True, "obd": True,
    }  # fmt: skip
    record.update(overrides)
    return record


def in_plant(n: int = 1, **overrides: Any) -> dict[str, Any]:
    record = {
        "internal_no": f"CN{n:04d}", "vehicle_type": "重型自卸货车", "vin": vin(50_000 + n),
        "registration_date": "2019-03-15", "fuel": "B", "emission_stage": "5", "rated_load_kg": 20000,
        "fleet": "自有车队",
    }  # fmt: skip
    record.update(overrides)
    return record


def machinery(n: int = 1, **overrides: Any) -> dict[str, Any]:
    record = {
        "env_code": f"JA{n:08d}", "internal_no": f"M{n:03d}", "machine_type": "装载机",
        "machine_model": "ZL50",
        "production_date": "2018-07-01", "emission_stage": "3", "fuel": "B", "engine_model": "WD10G220",
        "engine_maker": "潍柴动力", "engine_no": f"W{n:07d}", "engine_power_kw": 162.0, "owner": "炼铁厂",
    }  # fmt: skip
    record.update(overrides)
    return record


def vehicles_yaml(vehicles: str = "", db: str = "") -> str:
    section = "vehicles:\n" + "".join(f"  {line}\n" for line in vehicles.splitlines() if line.strip())
    return f"hub:\n  name: 登记簿测试\n{db}{section}"


@pytest.fixture
async def vehicles_hub(make_hub: Callable[..., Any], clock) -> Callable[..., Any]:
    """`await vehicles_hub("require_documents: true")` -> a started hub with the register (SQLite)."""

    async def factory(vehicles: str = "", db: str = "", **kwargs: Any) -> Any:
        hub = await make_hub(vehicles_yaml(vehicles, db), clock=kwargs.pop("clock", clock), **kwargs)
        assert "vehicles" in hub.loaded, hub.setup_errors
        return hub

    return factory


async def user_context(hub: Any, role: Role) -> Context:
    name = f"{role.value}{uuid.uuid4().hex[:6]}"
    user = await hub.auth.async_add_user(name, "password-1234", frozenset({role}))
    return Context(user_id=user.id)


async def call(hub: Any, service: str, data: dict[str, Any], context: Context | None = None) -> Any:
    return await hub.services.async_call("vehicles", service, data, context or Context())
