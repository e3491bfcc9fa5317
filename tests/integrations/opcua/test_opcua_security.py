"""Sign-in of OPC UA sessions as hub users: cache, rationing, throttling, and what each session may do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from asyncua import ua
from asyncua.crypto.permission_rules import User as UaUser
from asyncua.crypto.permission_rules import UserRole

from hub.core import ManualClock
from hub.core.auth import Role, User, hash_password
from hub.core.throttle import LoginThrottle
from hub.integrations.opcua import security
from hub.integrations.opcua.const import SLOW_CHECKS_PER_SECOND
from hub.integrations.opcua.security import HubRuleset, HubUaUser, HubUserManager, current_user

HASH = hash_password("right-password")


class FakeHub:
    """The parts of a hub the user manager asks: its clock, the users and throttle, the bus."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.throttle = LoginThrottle(free_failures=5, longest_delay=300.0)
        self.dummy_hash = hash_password("no password matches this")
        self.logins: list[dict[str, Any]] = []
        self.refreshes = 0
        self.auth = self
        self.bus = self
        self._users = {
            "guard1": User("U1", "guard1", frozenset({Role.GUARD})),
            "retired": User("U2", "retired", frozenset({Role.GUARD}), active=False),
        }

    def now(self) -> datetime:
        return self.clock.now()

    def by_name(self, name: str) -> User | None:
        return self._users.get(name)

    def async_fire(self, event_type: str, data: dict[str, Any], context: Any = None) -> None:
        self.logins.append(dict(data))

    def async_create_background_task(self, coro: Any, name: str) -> None:
        coro.close()
        self.refreshes += 1


@pytest.fixture
def setup(monkeypatch: pytest.MonkeyPatch) -> tuple[HubUserManager, FakeHub, ManualClock, list[int]]:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    checks = [0]
    real_verify = security.verify_password

    def counting_verify(password: str, encoded: str) -> bool:
        checks[0] += 1
        return real_verify(password, encoded)

    monkeypatch.setattr(security, "verify_password", counting_verify)
    hub = FakeHub(clock)
    manager = HubUserManager(hub, allow_anonymous=False)  # type: ignore[arg-type]
    manager.set_users([("guard1", "U1", HASH, True), ("retired", "U2", HASH, False)])
    clock.advance(10)
    return manager, hub, clock, checks


def test_a_right_password_signs_in_and_is_remembered(setup) -> None:
    manager, hub, _, checks = setup
    user = manager.get_user(None, "guard1", "right-password")
    assert isinstance(user, HubUaUser) and user.user_id == "U1" and user.role == UserRole.User
    assert manager.get_user(None, "guard1", "right-password") == user
    assert checks[0] == 1  # the reconnect did not pay for scrypt again
    assert [(x["username"], x["outcome"], x["door"]) for x in hub.logins] == [("guard1", "ok", "opcua")] * 2


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("guard1", "wrong-password"),
        ("retired", "right-password"),
        ("nobody", "right-password"),
        ("guard1", ""),
    ],
)
def test_wrong_inactive_or_unknown_is_refused(setup, username, password) -> None:
    manager, hub, _, _ = setup
    assert manager.get_user(None, username, password) is None
    assert hub.logins[-1]["outcome"] == "failed"


def test_an_unknown_name_reloads_the_users_soon(setup) -> None:
    manager, hub, _, _ = setup
    manager.get_user(None, "new_user", "whatever-pass")
    assert hub.refreshes == 1


def test_slow_checks_are_rationed_per_second(setup) -> None:
    manager, hub, clock, checks = setup
    for n in range(SLOW_CHECKS_PER_SECOND):
        assert manager.get_user(None, "guard1", f"wrong-{n}") is None
    assert manager.get_user(None, "guard1", "right-password") is None
    assert hub.logins[-1]["outcome"] == "busy"
    assert checks[0] == SLOW_CHECKS_PER_SECOND
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "right-password") is not None


def test_an_unknown_name_costs_one_slow_check_like_a_known_one(setup) -> None:
    """The time of a refusal must not tell which names exist."""
    manager, _, clock, checks = setup
    assert manager.get_user(None, "nobody", "wrong-password") is None
    assert checks[0] == 1
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "wrong-password") is None
    assert checks[0] == 2


def test_repeated_failures_slow_the_guesser_not_a_reconnecting_client(setup) -> None:
    manager, hub, clock, _ = setup
    assert manager.get_user(None, "guard1", "right-password") is not None  # the SCADA client
    for n in range(5):  # the throttle's free failures
        clock.advance(1.1)
        assert manager.get_user(None, "guard1", f"wrong-{n}") is None
    assert manager.get_user(None, "guard1", "wrong-5") is None
    assert hub.logins[-1]["outcome"] == "locked"
    # The client that signed in before reconnects at once, whatever the guesser does.
    assert manager.get_user(None, "guard1", "right-password") is not None
    assert hub.logins[-1]["outcome"] == "ok"
    # The guesser waits longer each time (1 s, 2 s, 4 s ...), never shut out for good.
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "wrong-6") is None and hub.logins[-1]["outcome"] == "failed"
    clock.advance(1.1)
    assert manager.get_user(None, "guard1", "wrong-7") is None and hub.logins[-1]["outcome"] == "locked"
    hub.throttle.unlock("guard1")  # an administrator lifts the delays
    assert manager.get_user(None, "guard1", "wrong-8") is None and hub.logins[-1]["outcome"] == "failed"


def test_anonymous_only_when_allowed(setup) -> None:
    manager, hub, _, _ = setup
    assert manager.get_user(None) is None
    open_manager = HubUserManager(hub, allow_anonymous=True)  # type: ignore[arg-type]
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
