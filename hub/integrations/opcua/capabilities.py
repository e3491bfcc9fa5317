"""The standard ServerCapabilities and HistoryServerCapabilities properties, filled with what this server
does (asyncua leaves most of them empty or zero), so a client can see it before it asks."""

from __future__ import annotations

from typing import Any

from asyncua import Server, ua

from .history import PAGE_MAX

V = ua.VariantType
PROFILES = [
    "http://opcfoundation.org/UA-Profile/Server/EmbeddedUA2017",
    "http://opcfoundation.org/UA-Profile/Server/HistoricalRawData",
    "http://opcfoundation.org/UA-Profile/Server/HistoricalEvents",
    "http://opcfoundation.org/UA-Profile/Server/AEProxyFacet",  # alarms & conditions
]
HISTORY_FALSE = (
    "InsertDataCapability", "ReplaceDataCapability", "UpdateDataCapability", "DeleteRawCapability",
    "DeleteAtTimeCapability", "InsertAnnotationCapability", "InsertEventCapability",
    "ReplaceEventCapability", "UpdateEventCapability", "DeleteEventCapability",
)  # fmt: skip


def capabilities(max_subscriptions: int) -> list[tuple[str, Any, ua.VariantType]]:
    """(ObjectIds name, value, type) of each property written."""
    caps = "Server_ServerCapabilities_"
    history = "HistoryServerCapabilities_"
    return [
        (f"{caps}ServerProfileArray", PROFILES, V.String),
        (f"{caps}LocaleIdArray", ["zh-CN", "en"], V.String),
        (f"{caps}MinSupportedSampleRate", 50.0, V.Double),  # ms; the states change far slower
        (f"{caps}MaxBrowseContinuationPoints", 0, V.UInt16),  # 0: no limit
        (f"{caps}MaxQueryContinuationPoints", 0, V.UInt16),
        (f"{caps}MaxHistoryContinuationPoints", 0, V.UInt16),  # they are offsets: none is held
        (f"{caps}MaxSubscriptions", max_subscriptions, V.UInt32),
        (f"{caps}OperationLimits_MaxNodesPerHistoryReadData", 0, V.UInt32),
        (f"{caps}OperationLimits_MaxNodesPerHistoryReadEvents", 0, V.UInt32),
        (f"{caps}OperationLimits_MaxNodesPerHistoryUpdateData", 0, V.UInt32),
        (f"{caps}OperationLimits_MaxNodesPerHistoryUpdateEvents", 0, V.UInt32),
        (f"{history}AccessHistoryDataCapability", True, V.Boolean),
        (f"{history}AccessHistoryEventsCapability", True, V.Boolean),
        (f"{history}MaxReturnDataValues", PAGE_MAX, V.UInt32),
        (f"{history}MaxReturnEventValues", PAGE_MAX, V.UInt32),
        (f"{history}ServerTimestampSupported", True, V.Boolean),
        *((f"{history}{name}", False, V.Boolean) for name in HISTORY_FALSE),
    ]


async def async_fill(server: Server) -> None:
    aspace = server.iserver.aspace
    for name, value, vtype in capabilities(server.iserver.max_subscriptions):
        node_id = ua.NodeId(getattr(ua.ObjectIds, name))
        if node_id in aspace:  # an older standard address space may lack one
            await server.write_attribute_value(node_id, ua.DataValue(ua.Variant(value, vtype)))
