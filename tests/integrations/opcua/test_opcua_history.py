"""HistoryRead from the ledger: passage events of EcoGate and a lane (paged), plate and weight values,
and BadHistoryOperationUnsupported for what the hub does not keep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from asyncua import Client, ua
from asyncua.common.events import Event, get_filter_from_event_type

from tests.integrations.opcua.conftest import node, passage


async def read_events(
    client: Client, where: Any, start: Any, end: Any, per_page: int
) -> tuple[list[Any], int]:
    """Every page of a HistoryRead of events: (events, how many requests it took)."""
    etype = await node(client, "GatePassageEventType")
    details = ua.ReadEventDetails(StartTime=start, EndTime=end, NumValuesPerNode=per_page)
    details.Filter = await get_filter_from_event_type([etype])
    found, point, requests = [], None, 0
    while True:
        requests += 1
        result = await history_read(client, where, details, point)
        result.StatusCode.check()
        found += [Event.from_event_fields(details.Filter.SelectClauses, e.EventFields)
                  for e in result.HistoryData.Events]  # fmt: skip
        if not (point := result.ContinuationPoint):
            return found, requests
        assert requests < 20


async def history_read(client: Client, where: Any, details: Any, point: bytes | None = None) -> Any:
    params = ua.HistoryReadParameters(
        HistoryReadDetails=details, TimestampsToReturn=ua.TimestampsToReturn.Both,
        ReleaseContinuationPoints=False,  # asyncua's default is True: "forget my points, send nothing"
        NodesToRead=[ua.HistoryReadValueId(NodeId=where.nodeid, ContinuationPoint=point)],
    )  # fmt: skip
    return (await client.uaclient.history_read(params))[0]


async def test_history_of_passages_and_values_from_the_ledger(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    start = hub.now() - timedelta(minutes=1)
    sent = []
    for n in range(5):
        captured = (hub.now() - timedelta(seconds=30 - n)).replace(microsecond=250_000)
        data = passage(n, decision="allow" if n % 2 else "deny", captured_at=captured.isoformat())
        if n == 3:
            data.update(gate="west_gate", lane="main")
        await hub.services.async_call("ledger", "record_passage", data)
        sent.append(data)
    await hub.services.async_call(
        "ledger",
        "record_followup",
        {"passage_id": sent[1]["passage_id"], "kind": "weight", "data": {"weight_kg": 31250}},
    )
    end = hub.now() + timedelta(minutes=1)

    async with connect(hub, "inspector1") as client:
        ecogate = await node(client, "EcoGate")
        assert ua.EventNotifier.HistoryRead in await ecogate.read_event_notifier()
        events, requests = await read_events(client, ecogate, start, end, per_page=2)
        assert [e.PassageId for e in events] == [d["passage_id"] for d in sent]  # oldest first
        assert requests == 3  # 2 + 2 + 1: continuation points
        assert events[0].Time.microsecond == 250_000  # the read's time
        assert events[3].SourceNode == (await node(client, "west_gate.main")).nodeid

        lane_events, _ = await read_events(client, await node(client, "east_gate.in"), start, end, per_page=0)
        assert [e.PassageId for e in lane_events] == [d["passage_id"] for d in sent if d["lane"] == "in"]
        newest_first, _ = await read_events(client, ecogate, end, start, per_page=10)
        assert [e.PassageId for e in newest_first] == [d["passage_id"] for d in reversed(sent)]
        nothing, _ = await read_events(client, ecogate, end, end + timedelta(hours=1), per_page=10)
        assert nothing == []

        plate = await node(client, "east_gate.in.plate.text")
        access = await plate.read_attribute(ua.AttributeIds.AccessLevel)
        assert access.Value.Value & ua.AccessLevel.HistoryRead.mask
        plates = await plate.read_raw_history(start, end)
        assert [v.Value.Value for v in plates] == [d["plate"] for d in sent if d["lane"] == "in"]
        assert plates[0].SourceTimestamp.microsecond == 250_000
        weights = await (await node(client, "east_gate.in.weight.kg")).read_raw_history(start, end)
        assert [v.Value.Value for v in weights] == [31250.0]

        # What the hub does not keep is said so, not answered Good with nothing.
        unsupported = ua.StatusCodes.BadHistoryOperationUnsupported
        raw = ua.ReadRawModifiedDetails(
            StartTime=start, EndTime=end, NumValuesPerNode=0, IsReadModified=False
        )
        for where in ("east_gate.in.barrier.position", "Plant.alert_level"):
            assert (
                await history_read(client, await node(client, where), raw)
            ).StatusCode.value == unsupported
        modified = ua.ReadRawModifiedDetails(StartTime=start, EndTime=end, IsReadModified=True)
        assert (await history_read(client, plate, modified)).StatusCode.value == unsupported
        processed = ua.ReadProcessedDetails(StartTime=start, EndTime=end)
        assert (await history_read(client, plate, processed)).StatusCode.value == unsupported
        events_of_server = ua.ReadEventDetails(StartTime=start, EndTime=end)
        events_of_server.Filter = await get_filter_from_event_type(
            [await node(client, "GatePassageEventType")]
        )
        assert (
            await history_read(client, client.nodes.server, events_of_server)
        ).StatusCode.value == unsupported
        history_caps = client.get_node(
            ua.NodeId(ua.ObjectIds.HistoryServerCapabilities_AccessHistoryEventsCapability)
        )
        assert await history_caps.read_value() is True
        locales = client.get_node(ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_LocaleIdArray))
        assert await locales.read_value() == ["zh-CN", "en"]
        idx = plate.nodeid.NamespaceIndex
        nowhere = client.get_node(ua.NodeId("north_gate.out", idx))
        assert (
            await history_read(client, nowhere, events_of_server)
        ).StatusCode.value == ua.StatusCodes.BadNodeIdUnknown
        bad_point = await history_read(client, plate, raw, b"not a point")
        assert bad_point.StatusCode.value == ua.StatusCodes.BadContinuationPointInvalid
