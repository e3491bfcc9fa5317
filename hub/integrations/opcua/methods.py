"""Methods on the `EcoGate` object: OpenBarrier, CloseBarrier, SpecialRelease, CorrectPlate,
ConfirmRead, SetAlertLevel.

Each calls the same hub service as the HMI does, on behalf of the session's user (door "opcua"), so
the service's roles and the audit log apply. A refused call answers BadUserAccessDenied, bad
arguments BadInvalidArgument; the reason is logged. Arguments are typed (String, DateTime, or an
Enumeration DataType of types.py for a choice, given as its value or its name), scalars (ValueRank
-1), described in zh-CN and en; an optional one is left out with an empty string or a Null.
Every method's InputArguments property has a string NodeId `EcoGate.<Method>.InputArguments`.
OpenBarrier and SpecialRelease answer two Strings (OutputArguments, `EcoGate.<Method>.OutputArguments`):
`result`, "done" or, on a lane where an officer approves every guard's release (ui/release.py),
"release requested, awaiting approval" (nothing moved), and `request_id`, the request's id or empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncua import Node, ua

from hub.core import Context, Hub, HubError, ServiceNotFound, ServiceValidationError, Unauthorized

from .const import ROOT_ID
from .mapping import ENUMS
from .security import HubUaUser, current_user

_LOGGER = logging.getLogger(__name__)
STRING, DATETIME = "String", "DateTime"
OPEN = ("policy", "open_barrier")


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    description: str  # "中文 English"
    optional: bool = False  # an empty string or Null means "not given"
    kind: str = STRING  # String, DateTime, or the name of an enumeration of ENUMS


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    domain: str
    service: str
    args: tuple[Arg, ...]
    description: str
    answers: bool = False  # says what became of it: done, or a release request (OUTPUTS)


GATE, LANE = Arg("gate", "闸口 gate, e.g. east_gate"), Arg("lane", "车道 lane, e.g. in")
PASSAGE = Arg("passage_id", "通行记录编号 passage id")
COLOUR = Arg("colour", "车牌颜色 plate colour (may be empty)", optional=True, kind="PlateColour")
OUTPUTS = (
    Arg("result", '结果 result: "done", or "release requested, awaiting approval" (已提交放行申请)'),
    Arg("request_id", "放行申请编号 the release request's id (empty when none)"),
)
DONE, REQUESTED = "done", "release requested, awaiting approval"
METHODS = (
    # A person's opening is recorded in the ledger before the arm moves (policy/manual_open.py).
    MethodSpec(
        "OpenBarrier", "policy", "open_barrier",
        (GATE, LANE, Arg("reason", "开闸原因 reason (at least 4 characters)")),
        "开闸 Open the barrier of a lane; recorded in the ledger with the reason", answers=True,
    ),
    MethodSpec("CloseBarrier", "barrier", "close", (GATE, LANE), "落闸 Close the barrier of a lane"),
    MethodSpec(
        "SpecialRelease", "policy", "release",
        (PASSAGE, Arg("reason", "特批理由 reason"),
         Arg("approver", "审批人 approver (may be empty)", optional=True)),
        "特批放行 Release a denied passage", answers=True,
    ),
    MethodSpec(
        "CorrectPlate", "policy", "correct_plate",
        (PASSAGE, Arg("plate", "正确车牌 the right plate"), COLOUR, Arg("reason", "校正原因 reason")),
        "人工校正车牌 Correct a misread plate; the passage is decided again",
    ),
    MethodSpec(
        "ConfirmRead", "policy", "confirm_read",
        (Arg("passage_id", "通行记录编号 passage id (or give the read id)", optional=True),
         Arg("read_id", "识别编号 read id (or give the passage id)", optional=True),
         Arg("plate", "正确车牌 the right plate (may be empty)", optional=True), COLOUR,
         Arg("reason", "原因 reason (may be empty)", optional=True)),
        "确认车牌 Confirm a doubtful read; the passage is decided again",
    ),
    MethodSpec(
        "SetAlertLevel", "policy", "set_alert_level",
        (Arg("level", "预警级别 alert level: normal | yellow | orange | red", True, "AlertLevel"),
         Arg("response_level", "响应级别 response level I | II | III (may be empty)", optional=True),
         Arg("measure", "管控措施 control measure (may be empty)", optional=True),
         Arg("start", "开始时间 start (may be Null: now)", optional=True, kind=DATETIME),
         Arg("end", "结束时间 end (may be Null: until changed)", optional=True, kind=DATETIME),
         Arg("reason", "原因 reason (may be empty)", optional=True)),
        "切换重污染天气预警级别 Set the heavy-pollution alert level",
    ),
)  # fmt: skip


class Methods:
    def __init__(self, hub: Hub | None) -> None:
        self.hub = hub  # None: the nodes only, never called (nodeset.py)

    async def async_add(self, root: Node, idx: int, enums: dict[str, ua.NodeId]) -> None:
        for spec in METHODS:
            node = await root.add_method(
                ua.NodeId(f"{ROOT_ID}.{spec.name}", idx),
                ua.QualifiedName(spec.name, idx),
                self._handler(spec),
                [],
                [],
            )
            description = ua.LocalizedText(spec.description, "zh-CN")  # "中文 English"
            await node.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(description)))
            await _async_add_arguments(node, idx, f"{spec.name}.InputArguments", spec.args, enums)
            if spec.answers:
                await _async_add_arguments(node, idx, f"{spec.name}.OutputArguments", OUTPUTS, enums)

    def _handler(self, spec: MethodSpec) -> Callable[..., Any]:
        async def handler(parent: ua.NodeId, *args: Any) -> Any:
            return await self._async_call(spec, list(args))

        return handler

    async def _async_call(self, spec: MethodSpec, args: list[Any]) -> Any:
        user = current_user()
        if self.hub is None or not isinstance(user, HubUaUser) or not user.user_id:
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
            try:
                data[arg.name] = _argument_value(arg, value)
            except ValueError as err:
                _LOGGER.warning("OPC UA %s: %s: %s", spec.name, arg.name, err)
                return ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
        context = Context(user_id=user.user_id)
        domain, service = spec.domain, spec.service
        if (domain, service) == ("policy", "open_barrier") and not self.hub.services.has_service(*OPEN):
            # A plant without the policy has no ledger of passages to record it in: the plain opening.
            domain, service = "barrier", "open"
            data.pop("reason", None)
        try:
            result = await self.hub.services.async_call(domain, service, data, context, door="opcua")
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
        if not spec.answers:
            return []
        requested = isinstance(result, dict) and bool(result.get("requested"))
        request_id = str(result.get("request_id") or "") if requested else ""
        return [ua.Variant(REQUESTED if requested else DONE, ua.VariantType.String),
                ua.Variant(request_id, ua.VariantType.String)]  # fmt: skip

    def _hub_error_status(self, spec: MethodSpec, data: dict[str, Any]) -> int:
        """A lane without a barrier is a bad argument; otherwise the hub could not do it now."""
        if spec.domain == "barrier" or spec.name == "OpenBarrier":
            cover = f"cover.{data.get('gate')}_{data.get('lane')}_barrier"
            if self.hub is not None and self.hub.states.get(cover) is None:
                return ua.StatusCodes.BadInvalidArgument
        return ua.StatusCodes.BadInvalidState


async def _async_add_arguments(
    node: Node, idx: int, name: str, args: tuple[Arg, ...], enums: dict[str, ua.NodeId]
) -> None:
    """A method's InputArguments or OutputArguments property, under a string NodeId of ours."""
    prop = await node.add_property(
        ua.NodeId(f"{ROOT_ID}.{name}", idx), ua.QualifiedName(name.rpartition(".")[2], 0),
        ua.Variant([_argument(a, enums) for a in args], ua.VariantType.ExtensionObject),
        datatype=ua.NodeId(ua.ObjectIds.Argument),
    )  # fmt: skip
    one_dimension = ua.DataValue(ua.Variant(1, ua.VariantType.Int32))
    await prop.write_attribute(ua.AttributeIds.ValueRank, one_dimension)
    await prop.set_modelling_rule(True)


def _argument(arg: Arg, enums: dict[str, ua.NodeId]) -> ua.Argument:
    if arg.kind == STRING:
        datatype = ua.NodeId(ua.ObjectIds.String)
    elif arg.kind == DATETIME:
        datatype = ua.NodeId(ua.ObjectIds.DateTime)
    else:
        datatype = enums[arg.kind]
    return ua.Argument(
        Name=arg.name, DataType=datatype, ValueRank=-1, ArrayDimensions=[],
        Description=ua.LocalizedText(arg.description, "zh-CN"),
    )  # fmt: skip


def _argument_value(arg: Arg, value: Any) -> Any:
    """A method argument as the hub service takes it; ValueError says why it does not fit."""
    if arg.kind == STRING:
        if not isinstance(value, str):
            raise ValueError("must be a String")
        return value.strip()
    if arg.kind == DATETIME:
        if not isinstance(value, datetime):
            raise ValueError("must be a DateTime")
        return value.isoformat()
    names = ENUMS[arg.kind]
    if isinstance(value, str) and value.strip() in names:
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    raise ValueError(f"must be one of {', '.join(names)} (or its number)")
