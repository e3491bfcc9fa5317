"""async_track_state_change_event: each subscriber gets the changes of its entities, and only those."""

from __future__ import annotations

from hub.core.track import async_track_state_change_event


async def test_each_subscriber_gets_its_own_entities_changes_in_order(make_hub) -> None:
    hub = await make_hub()
    seen: dict[str, list[tuple[str, str]]] = {"a": [], "b": [], "both": []}

    def follow(name: str):
        return lambda event: seen[name].append((event.data["entity_id"], event.data["new_state"].state))

    async_track_state_change_event(hub, "sensor.a", follow("a"))
    async_track_state_change_event(hub, ["sensor.b"], follow("b"))
    async_track_state_change_event(hub, ("sensor.a", "sensor.b", "sensor.a"), follow("both"))
    for entity_id, value in [("sensor.a", "1"), ("sensor.c", "9"), ("sensor.b", "2"), ("sensor.a", "3")]:
        hub.states.async_set(entity_id, value)
    assert seen["a"] == [("sensor.a", "1"), ("sensor.a", "3")]
    assert seen["b"] == [("sensor.b", "2")]
    assert seen["both"] == [("sensor.a", "1"), ("sensor.b", "2"), ("sensor.a", "3")]  # each once


async def test_a_subscriber_that_raises_keeps_the_change_from_nobody_else(make_hub, caplog) -> None:
    hub = await make_hub()
    seen: list[str] = []

    def broken(_event) -> None:
        raise RuntimeError("broken automation")

    async_track_state_change_event(hub, "sensor.a", broken)
    async_track_state_change_event(hub, "sensor.a", lambda e: seen.append(e.data["new_state"].state))
    hub.states.async_set("sensor.a", "1")
    assert seen == ["1"]
    assert any("broken automation" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


async def test_unsubscribing_stops_the_changes(make_hub) -> None:
    hub = await make_hub()
    first: list[str] = []
    second: list[str] = []

    def into(values: list[str]):
        return lambda event: values.append(event.data["new_state"].state)

    unsub_first = async_track_state_change_event(hub, "sensor.a", into(first))
    unsub_second = async_track_state_change_event(hub, "sensor.a", into(second))
    hub.states.async_set("sensor.a", "1")
    unsub_first()
    hub.states.async_set("sensor.a", "2")
    unsub_second()
    unsub_second()  # twice is harmless
    hub.states.async_set("sensor.a", "3")
    async_track_state_change_event(hub, "sensor.a", into(first))
    hub.states.async_set("sensor.a", "4")  # a subscriber after everyone left is served again
    assert first == ["1", "4"]
    assert second == ["1", "2"]
