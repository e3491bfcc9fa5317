"""Ledger fixtures: a hub with the ledger on SQLite, and the same on PostgreSQL when a server answers."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF"  # enough of a JPEG header for the evidence store


@pytest.fixture
def ledger_yaml(database: str) -> Callable[..., str]:
    def build(ledger: str = "", extra: str = "") -> str:
        section = "ledger:\n" + "".join(f"  {line}\n" for line in ledger.splitlines() if line.strip())
        return f"hub:\n  name: 台账测试\n{database}{section}{extra}"

    return build


@pytest.fixture
async def ledger_hub(database: str, make_hub: Callable[..., Any], ledger_yaml: Callable[..., str], clock):
    """`await ledger_hub(ledger="retention_months: 24")` -> a started hub with the ledger."""

    async def factory(ledger: str = "", extra: str = "", **kwargs: Any) -> Any:
        hub = await make_hub(ledger_yaml(ledger, extra), clock=kwargs.pop("clock", clock), **kwargs)
        assert "ledger" in hub.loaded, hub.setup_errors
        return hub

    return factory


@contextlib.asynccontextmanager
async def traced(hub: Any, hook: Callable[[str], None] | None = None) -> AsyncIterator[list[str]]:
    """SQLite only: every statement the hub's database connection runs meanwhile, in order, as
    SQLite reports it when the statement starts (`hook(statement)` then, on the database's thread)."""
    statements: list[str] = []

    def trace(statement: str) -> None:
        statements.append(statement)
        if hook is not None:
            hook(statement)

    async with hub.db.connection.acquire_connection() as connection:
        await connection.set_trace_callback(trace)
    try:
        yield statements
    finally:
        async with hub.db.connection.acquire_connection() as connection:
            await connection.set_trace_callback(None)


def passage(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A passage as the policy would record it."""
    data: dict[str, Any] = {
        "passage_id": str(uuid.uuid4()),
        "read_id": f"READ{n:06d}",
        "gate": "east_gate",
        "lane": "in",
        "direction": "in",
        "plate": f"冀B{n:05d}",
        "colour": "yellow",
        "vehicle_class": "transport",
        "vehicle": {
            "emission_stage": "5", "fuel": "B", "fleet": "唐山顺达物流有限公司",
            "vehicle_type": "重型半挂牵引车", "vin": "LFWADRJF1J1000001", "registered": True,
        },
        "decision": "allow",
        "reason_code": "allowed",
        "reason_text": "国五柴油货车，准予入厂",
        "rule": "alert:none",
        "alert_level": "normal",
        "confidence": 0.97,
        "needs_review": False,
        "images": {"plate": JPEG + f"plate-{n}".encode(), "scene": JPEG + f"scene-{n}".encode()},
        "video_ref": f"nvr://east_gate/in/{n}",
    }  # fmt: skip
    data.update(overrides)
    return data
