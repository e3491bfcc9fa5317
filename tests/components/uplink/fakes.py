"""Throwaway components standing in for `policy` and `vehicles` (built in parallel; contracts.md),
loaded through the `integration_root` fixture. They register the contract's services under the real
domains and fire the contract's events."""

from __future__ import annotations

FAKE_POLICY = """
from pydantic import BaseModel, ConfigDict

class SetAlertLevel(BaseModel):
    model_config = ConfigDict(extra="allow")
    level: str | None = None

async def async_setup(hub, config):
    state = {"level": "normal"}

    async def set_alert_level(call):
        data = call.data.model_dump(mode="json")
        previous, state["level"] = state["level"], data.get("level") or state["level"]
        hub.states.async_set("select.plant_alert_level", state["level"], data)
        hub.bus.async_fire("alert_level_changed", {
            "level": state["level"], "previous": previous, "measure_code": data.get("measure_code"),
            "measure": data.get("measure"), "response_level": data.get("response_level"),
            "start": data.get("start"), "end": data.get("end"), "source": data.get("source", "officer"),
            "reason": data.get("reason"), "user_id": call.context.user_id,
        }, call.context)
        return {"level": state["level"]}

    hub.services.async_register("policy", "set_alert_level", set_alert_level, SetAlertLevel)
    return True
"""

FAKE_VEHICLES = """
from pydantic import BaseModel, ConfigDict, Field

class Records(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    vclass: str | None = Field(None, alias="class")
    changed_since_ts: int | None = None

class Upsert(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    vclass: str = Field(alias="class")
    record: dict

async def async_setup(hub, config):
    register = {}
    deleted = []

    def key_of(vclass, record):
        return record.get("plate") or record.get("env_code") or record.get("internal_no")

    def put(vclass, record, action):
        key = key_of(vclass, record)
        ts = int(hub.now().timestamp())
        register[(vclass, key)] = {"class": vclass, "key": key, **record, "updated_ts": ts}
        hub.bus.async_fire("register_changed", {"class": vclass, "key": key, "action": action,
                                                "record": register[(vclass, key)], "changed_ts": ts,
                                                "user_id": None})

    for vclass, record in (config or {}).get("seed", []):
        put(vclass, record, "created")

    async def records(call):
        since = call.data.changed_since_ts if call.data.changed_since_ts is not None else -1
        items = sorted((r for r in register.values() if r["updated_ts"] > since
                        and (call.data.vclass in (None, r["class"]))), key=lambda r: r["updated_ts"])
        gone = [d for d in deleted if d["changed_ts"] > since]
        return {"items": items, "deleted": gone, "now_ts": int(hub.now().timestamp())}

    async def upsert(call):
        known = (call.data.vclass, key_of(call.data.vclass, call.data.record)) in register
        action = "updated" if known else "created"
        put(call.data.vclass, call.data.record, action)
        return {"action": action}

    async def delete(call):
        item = register.pop((call.data.vclass, key_of(call.data.vclass, call.data.record)))
        ts = int(hub.now().timestamp())
        deleted.append({"class": item["class"], "key": item["key"], "changed_ts": ts})
        hub.bus.async_fire("register_changed", {"class": item["class"], "key": item["key"],
                                                "action": "deleted", "record": item, "changed_ts": ts,
                                                "user_id": None})

    hub.services.async_register("vehicles", "records", records, Records)
    hub.services.async_register("vehicles", "upsert", upsert, Upsert)
    hub.services.async_register("vehicles", "delete", delete, Upsert)
    return True
"""


def fake_root(integration_root):  # type: ignore[no-untyped-def]
    from hub.core.loader import DEFAULT_ROOTS

    root = integration_root("uplink_fakes", {
        "fakepolicy": ({"name": "fake policy"}, FAKE_POLICY),
        "fakevehicles": ({"name": "fake vehicles"}, FAKE_VEHICLES),
    })  # fmt: skip
    return (*DEFAULT_ROOTS, root)
