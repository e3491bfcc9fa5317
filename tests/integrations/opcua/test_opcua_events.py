"""Passage events up the notifier chain: one EventId per passage, the read's time to the millisecond."""

from __future__ import annotations

from datetime import datetime, timedelta

from asyncua import ua

from tests.integrations.opcua.conftest import node, passage
from tests.integrations.opcua.test_opcua_server import EventCatcher


async def test_a_passage_is_one_event_up_its_lanes_notifier_chain(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        etype = await node(client, "GatePassageEventType")
        catchers = {}
        for where in ("east_gate.in", "east_gate", "west_gate", "EcoGate", "Server"):
            catchers[where] = EventCatcher()
            sub = await client.create_subscription(20, catchers[where])
            notifier = client.nodes.server if where == "Server" else await node(client, where)
            await sub.subscribe_events(notifier, etype)

        # The lanes are notifiers of their gate, the gates of EcoGate, EcoGate of the Server.
        for parent, child in (("east_gate", "east_gate.in"), ("EcoGate", "east_gate")):
            notified = await (await node(client, parent)).get_referenced_nodes(ua.ObjectIds.HasNotifier)
            assert (await node(client, child)).nodeid in [n.nodeid for n in notified]
        ecogate = await node(client, "EcoGate")
        assert ecogate.nodeid in [
            n.nodeid for n in await client.nodes.server.get_referenced_nodes(ua.ObjectIds.HasNotifier)
        ]

        captured = hub.now().replace(microsecond=123_000) - timedelta(seconds=2)
        east = passage(1, captured_at=captured.isoformat())
        west = passage(2, gate="west_gate", lane="main", decision="allow", reason_code="OK")
        for data in (east, west):
            await hub.services.async_call("ledger", "record_passage", data)

        got = {where: [await c.next(), *([await c.next()] if where in ("EcoGate", "Server") else [])]
               for where, c in catchers.items() if where in ("EcoGate", "Server")}  # fmt: skip
        on_lane = await catchers["east_gate.in"].next()
        on_gate = await catchers["east_gate"].next()
        on_west = await catchers["west_gate"].next()
        assert on_lane.PassageId == on_gate.PassageId == east["passage_id"]
        assert on_west.PassageId == west["passage_id"]
        # One event per passage: the same EventId wherever a client watches it.
        for n, data in enumerate((east, west)):
            assert got["EcoGate"][n].PassageId == got["Server"][n].PassageId == data["passage_id"]
            assert got["EcoGate"][n].EventId == got["Server"][n].EventId
        assert on_lane.EventId == on_gate.EventId == got["Server"][0].EventId
        assert got["Server"][1].EventId == on_west.EventId
        # The read's time, milliseconds and all.
        assert on_lane.Time == captured.astimezone(on_lane.Time.tzinfo)
        assert isinstance(on_lane.Time, datetime) and on_lane.Time.microsecond == 123_000
        for where, catcher in catchers.items():
            assert catcher.queue.empty(), where  # nothing twice, nothing of another lane
