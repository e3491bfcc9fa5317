"""A throwaway component standing in for `policy` (built in parallel; contracts.md),
loaded through the `integration_root` fixture. It registers the contract's service under the real
domain and fires the contract's event, with no bounds of its own (what an older policy let through)."""

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


def fake_root(integration_root):  # type: ignore[no-untyped-def]
    from hub.core.loader import DEFAULT_ROOTS

    root = integration_root("uplink_fakes", {
        "fakepolicy": ({"name": "fake policy"}, FAKE_POLICY),
    })  # fmt: skip
    return (*DEFAULT_ROOTS, root)
