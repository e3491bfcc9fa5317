"""Sign-in of OPC UA sessions as hub users: cache, rationing, throttling, and what each session may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from asyncua import ua
from asyncua.crypto.permission_rules import User as UaUser
from asyncua.crypto.permission_rules import UserRole

from hub.core import Hub, ManualClock
from hub.core.auth import Role
from hub.core.const import EVENT_USER_LOGIN
from hub.integrations.opcua import security
from hub.integrations.opcua.const import SLOW_CHECKS_PER_SECOND
from hub.integrations.opcua.security import HubRuleset, HubUaUser, HubUserManager, current_user


@dataclass
class Door:
    """The OPC UA sign-in of a real hub, and what it announced (user_login events)."""

    manager: HubUserManager
    hub: Hub
    clock: ManualClock
    checks: list[int]  # slow password checks (scrypt) made
    logins: list[dict[str, Any]]
    users: dict[str, str]  # username -> user id


@pytest.fixture
async def door(make_hub: Any, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Door:
    checks = [0]
    real_verify = security.verify_password

    def counting_verify(password: str, encoded: str) -> bool:
        checks[0] += 1
        return real_verify(password, encoded)

    monkeypatch.setattr(security, "verify_password", counting_verify)
    hub = await make_hub(clock=clock)
    users = {}
    for name in ("guard1", "retired"):
        users[name] = (await hub.auth.async_add_user(name, "right-password", frozenset({Role.GUARD}))).id
    await hub.auth.async_set_active("retired", False)
    logins: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_USER_LOGIN, lambda e: logins.append(dict(e.data)))
    manager = HubUserManager(hub, allow_anonymous=False)
    await manager.async_refresh()  # the password hashes, from the user table
    clock.advance(10)
    return Door(manager, hub, clock, checks, logins, users)


async def test_a_right_password_signs_in_and_is_remembered(door: Door) -> None:
    user = door.manager.get_user(None, "guard1", "right-password")
    assert isinstance(user, HubUaUser) and user.user_id == door.users["guard1"] and user.role == UserRole.User
    assert door.manager.get_user(None, "guard1", "right-password") == user
    assert door.checks[0] == 1  # the reconnect did not pay for scrypt again
    seen = [(x["username"], x["outcome"], x["door"]) for x in door.logins]
    assert seen == [("guard1", "ok", "opcua")] * 2


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("guard1", "wrong-password"),
        ("retired", "right-password"),
        ("nobody", "right-password"),
        ("guard1", ""),
    ],
)
async def test_wrong_inactive_or_unknown_is_refused(door: Door, username: str, password: str) -> None:
    assert door.manager.get_user(None, username, password) is None
    assert door.logins[-1]["outcome"] == "failed"


async def test_an_unknown_name_reloads_the_users_soon(door: Door) -> None:
    await door.hub.auth.async_add_user("new_user", "new-password", frozenset({Role.GUARD}))
    assert door.manager.get_user(None, "new_user", "new-password") is None  # not known here yet
    await door.hub.async_block_till_done()  # the reload it started
    door.clock.advance(1.1)
    assert door.manager.get_user(None, "new_user", "new-password") is not None


async def test_slow_checks_are_rationed_per_second(door: Door) -> None:
    for n in range(SLOW_CHECKS_PER_SECOND):
        assert door.manager.get_user(None, "guard1", f"wrong-{n}") is None
    assert door.manager.get_user(None, "guard1", "right-password") is None
    assert door.logins[-1]["outcome"] == "busy"
    assert door.checks[0] == SLOW_CHECKS_PER_SECOND
    door.clock.advance(1.1)
    assert door.manager.get_user(None, "guard1", "right-password") is not None


async def test_an_unknown_name_costs_one_slow_check_like_a_known_one(door: Door) -> None:
    """The time of a refusal must not tell which names exist."""
    assert door.manager.get_user(None, "nobody", "wrong-password") is None
    assert door.checks[0] == 1
    door.clock.advance(1.1)
    assert door.manager.get_user(None, "guard1", "wrong-password") is None
    assert door.checks[0] == 2


async def test_repeated_failures_slow_the_guesser_not_a_reconnecting_client(door: Door) -> None:
    manager, clock = door.manager, door.clock
    assert manager.get_user(None, "guard1", "right-password") is not None  # the SCADA client
    for n in range(5):  # the throttle's free failures
        clock.advance(1.1)
        assert manager.get_user(None, "guard1", f"wrong-{n}") is None
    assert manager.get_user(None, "guard1", "wrong-5") is None
    assert door.logins[-1]["outcome"] == "locked"
    # The client that signed in before reconnects at once, whatever the guesser does.
    assert manager.get_user(None, "guard1", "right-password") is not None
    assert door.logins[-1]["outcome"] == "ok"
    # The guesser waits longer each time (1 s, 2 s, 4 s ...), never shut out for good.
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "wrong-6") is None and door.logins[-1]["outcome"] == "failed"
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "wrong-7") is None and door.logins[-1]["outcome"] == "locked"
    door.hub.auth.throttle.unlock("guard1")  # an administrator lifts the delays
    assert manager.get_user(None, "guard1", "wrong-8") is None and door.logins[-1]["outcome"] == "failed"


async def test_anonymous_only_when_allowed(door: Door) -> None:
    assert door.manager.get_user(None) is None
    open_manager = HubUserManager(door.hub, allow_anonymous=True)
    assert open_manager.get_user(None).role == UserRole.Anonymous


@pytest.mark.parametrize(
    ("who", "request_type", "allowed"),
    [
        ("user", ua.ObjectIds.ReadRequest_Encoding_DefaultBinary, True),
        ("user", ua.ObjectIds.CallRequest_Encoding_DefaultBinary, True),
        ("user", ua.ObjectIds.WriteRequest_Encoding_DefaultBinary, False),
        ("user", ua.ObjectIds.AddNodesRequest_Encoding_DefaultBinary, False),
        ("anonymous", ua.ObjectIds.BrowseRequest_Encoding_DefaultBinary, True),
        ("anonymous", ua.ObjectIds.CreateMonitoredItemsRequest_Encoding_DefaultBinary, True),
        ("anonymous", ua.ObjectIds.CallRequest_Encoding_DefaultBinary, False),
        ("none", ua.ObjectIds.ReadRequest_Encoding_DefaultBinary, False),
    ],
)
def test_what_a_session_may_ask(who, request_type, allowed) -> None:
    user = {
        "user": HubUaUser(role=UserRole.User, name="guard1", user_id="U1"),
        "anonymous": UaUser(role=UserRole.Anonymous),
        "none": None,
    }[who]
    assert HubRuleset(allow_anonymous=True).check_validity(user, ua.NodeId(request_type), None) is allowed
    assert current_user() is user  # what the method handlers read for this request
