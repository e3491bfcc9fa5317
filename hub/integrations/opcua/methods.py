"""Methods on the `EcoGate` object: OpenBarrier, SpecialRelease, SetAlertLevel.

Each calls the same hub service as the HMI does, on behalf of the session's user (door "opcua"), so
the service's roles and the audit log apply. A refused call answers BadUserAccessDenied, bad
arguments BadInvalidArgument; the reason is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asyncua import Node, ua

from hub.core import Context, Hub, HubError, ServiceNotFound, ServiceValidationError, Unauthorized

from .const import ROOT_ID
from .security import HubUaUser, current_user

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    description: str
    optional: bool = False  # an empty string means "not given"


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    domain: str
    service: str
    args: tuple[Arg, ...]
    description: str


METHODS = (
    MethodSpec(
        "OpenBarrier", "barrier", "open",
        (Arg("gate", "闸口 gate, e.g. east_gate"), Arg("lane", "车道 lane, e.g. in")),
        "开闸 Open the barrier of a lane",
    ),
    MethodSpec(
        "SpecialRelease", "policy", "release",
        (Arg("passage_id", "通行记录编号 passage id"), Arg("reason", "特批理由 reason"),
         Arg("approver", "审批人 approver (may be empty)", optional=True)),
        "特批放行 Release a denied passage",
    ),
    MethodSpec(
        "SetAlertLevel", "policy", "set_alert_level",
        (Arg("level", "预警级别 normal | yellow | orange | red"),),
        "切换重污染天气预警级别 Set the heavy-pollution alert level",
    ),
)  # fmt: skip


class Methods:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def async_add(self, root: Node, idx: int) -> None:
        for spec in METHODS:
            arguments = [
                ua.Argument(
                    Name=a.name,
                    DataType=ua.NodeId(ua.ObjectIds.String),
                    ValueRank=-1,
                    Description=ua.LocalizedText(a.description),
                )
                for a in spec.args
            ]
            node = await root.add_method(
                ua.NodeId(f"{ROOT_ID}.{spec.name}", idx),
                ua.QualifiedName(spec.name, idx),
                self._handler(spec),
                arguments,
                [],
            )
            await node.write_attribute(
                ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(spec.description)))
            )

    def _handler(self, spec: MethodSpec) -> Callable[..., Any]:
        async def handler(parent: ua.NodeId, *args: Any) -> Any:
            return await self._async_call(spec, list(args))

        return handler

    async def _async_call(self, spec: MethodSpec, args: list[Any]) -> Any:
        user = current_user()
        if not isinstance(user, HubUaUser) or not user.user_id:
            _LOGGER.warning("OPC UA %s refused: the session has no hub user", spec.name)
            return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
        required = sum(1 for a in spec.args if not a.optional)
        if len(args) < required:
            return ua.StatusCode(ua.StatusCodes.BadArgumentsMissing)
        if len(args) > len(spec.args):
            return ua.StatusCode(ua.StatusCodes.BadTooManyArguments)
        data: dict[str, Any] = {}
        for arg, variant in zip(spec.args, args, strict=False):
            value = variant.Value if isinstance(variant, ua.Variant) else variant
            if value is None or value == "":
                if arg.optional:
                    continue
                _LOGGER.warning("OPC UA %s: %s is missing", spec.name, arg.name)
                return ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
            if not isinstance(value, str):
                _LOGGER.warning("OPC UA %s: %s must be a String", spec.name, arg.name)
                return ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
            data[arg.name] = value.strip()
        context = Context(user_id=user.user_id)
        try:
            await self.hub.services.async_call(spec.domain, spec.service, data, context, door="opcua")
        except Unauthorized as err:
            _LOGGER.warning("OPC UA %s by %s refused: %s", spec.name, user.name, err)
            return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
        except ServiceValidationError as err:
            _LOGGER.warning("OPC UA %s by %s: %s", spec.name, user.name, err)
            return ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
        except ServiceNotFound as err:
            _LOGGER.warning("OPC UA %s: %s (is %s configured?)", spec.name, err, spec.domain)
            return ua.StatusCode(ua.StatusCodes.BadNotImplemented)
        except HubError as err:
            _LOGGER.warning("OPC UA %s by %s failed: %s", spec.name, user.name, err)
            return ua.StatusCode(self._hub_error_status(spec, data))
        except Exception:
            _LOGGER.exception("OPC UA %s by %s failed", spec.name, user.name)
            return ua.StatusCode(ua.StatusCodes.BadInternalError)
        return []

    def _hub_error_status(self, spec: MethodSpec, data: dict[str, Any]) -> int:
        """A lane without a barrier is a bad argument; otherwise the hub could not do it now."""
        if spec.name == "OpenBarrier":
            if self.hub.states.get(f"cover.{data.get('gate')}_{data.get('lane')}_barrier") is None:
                return ua.StatusCodes.BadInvalidArgument
        return ua.StatusCodes.BadInvalidState
