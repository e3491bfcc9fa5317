"""Users and roles: salted slow hashes in the database, the `ecogate user` command, authentication."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.core import HubError
from hub.core.auth import Role, hash_password, verify_password
from hub.core.throttle import LoginThrottle
from tests.conftest import REPO, write_config


def test_password_hashes_are_salted_and_verify() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("wrong horse", first)
    assert not verify_password("x", "garbage") and not verify_password("x", "md5$1$2$3$4$5")


async def test_users_persist_and_authenticate(make_hub) -> None:
    hub = await make_hub()
    user = await hub.auth.async_add_user("wang.wei", "门卫密码-2026", frozenset({Role.GUARD, Role.INSPECTOR}))
    assert (await hub.auth.async_authenticate("wang.wei", "门卫密码-2026")).id == user.id
    assert await hub.auth.async_authenticate("wang.wei", "wrong password") is None
    assert await hub.auth.async_authenticate("nobody", "whatever-123") is None
    with pytest.raises(HubError, match="exists already"):
        await hub.auth.async_add_user("wang.wei", "another-pass", frozenset({Role.GUARD}))
    with pytest.raises(HubError, match="at least 8"):
        await hub.auth.async_add_user("li", "short", frozenset({Role.GUARD}))
    with pytest.raises(HubError, match="username"):
        await hub.auth.async_add_user("bad name!", "long enough", frozenset({Role.GUARD}))
    await hub.auth.async_set_password("wang.wei", "new-password-1")
    assert await hub.auth.async_authenticate("wang.wei", "new-password-1") is not None
    assert hub.auth.roles_of(user.id) == frozenset({Role.GUARD, Role.INSPECTOR})


def _ecogate(config, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hub", "user", "-c", str(config), *args]
    return subprocess.run(command, cwd=REPO, input=stdin, capture_output=True, text=True, timeout=60)


def test_user_command_adds_lists_and_changes_passwords(tmp_path) -> None:
    config = write_config(tmp_path / "plant", "hub:\n  name: CLI test\n")
    pw = "环保专员-pass1\n"
    added = _ecogate(config, "add", "zhang", "--roles", "officer,inspector", "--password-stdin", stdin=pw)
    assert added.returncode == 0, added.stderr
    assert "added zhang (inspector, officer)" in added.stdout
    again = _ecogate(config, "add", "zhang", "--roles", "guard", "--password-stdin", stdin="whatever-123\n")
    assert again.returncode == 1 and "exists already" in again.stderr
    bad_role = _ecogate(config, "add", "li", "--roles", "janitor", "--password-stdin", stdin="whatever-123\n")
    assert bad_role.returncode == 1 and "roles are admin" in bad_role.stderr
    assert _ecogate(config, "passwd", "zhang", "--password-stdin", stdin="new-pass-99\n").returncode == 0
    assert _ecogate(config, "list").stdout.splitlines() == ["zhang\tinspector,officer"]
    broken = write_config(tmp_path / "broken", "hub:\n  nmae: typo\n")
    refused = _ecogate(broken, "list")
    assert refused.returncode == 2 and "configuration.yaml:2: hub.nmae" in refused.stderr


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "too common"),
        ("Password1", "too common"),  # the list is compared without regard to case
        ("qq123456", "too common"),
        (" " * 8, "not only spaces"),
        ("\t \u3000 \n   ", "not only spaces"),
        ("Wang.Wei", "not the user name"),
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
        ("长" * 300, "at most 128"),
    ],
)
async def test_one_password_policy_for_adding_and_changing(make_hub, password: str, reason: str) -> None:
    hub = await make_hub()
    with pytest.raises(HubError, match=reason):
        await hub.auth.async_add_user("wang.wei", password, frozenset({Role.GUARD}))
    await hub.auth.async_add_user("wang.wei", "门卫密码-2026", frozenset({Role.GUARD}))
    with pytest.raises(HubError, match=reason):
        await hub.auth.async_set_password("wang.wei", password)
    assert await hub.auth.async_authenticate("wang.wei", "门卫密码-2026") is not None


async def test_the_longest_allowed_password_signs_in(make_hub) -> None:
    hub = await make_hub()
    longest = "门卫-" + "x" * 125
    assert len(longest) == 128
    await hub.auth.async_add_user("wang.wei", longest, frozenset({Role.GUARD}))
    assert await hub.auth.async_authenticate("wang.wei", longest) is not None


async def test_demo_accounts_pass_the_policy(make_hub) -> None:
    from hub.demo import DEMO_USERS, async_ensure_demo_users

    hub = await make_hub()
    await async_ensure_demo_users(hub)
    for username, password, _roles in DEMO_USERS:
        assert await hub.auth.async_authenticate(username, password) is not None


def test_user_command_refuses_weak_and_overlong_passwords(tmp_path) -> None:
    config = write_config(tmp_path / "plant", "hub:\n  name: CLI test\n")
    for password, reason in (("x" * 300, "at most 128"), ("12345678", "too common")):
        command = ("add", "zhang", "--roles", "guard", "--password-stdin")
        added = _ecogate(config, *command, stdin=password + "\n")
        assert added.returncode == 1 and reason in added.stderr
    assert _ecogate(config, "list").stdout == ""
    unknown = _ecogate(config, "unlock", "nobody")
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr


def test_the_throttle_slows_a_name_from_one_address_not_its_owner() -> None:
    throttle = LoginThrottle(free_failures=3, longest_delay=60.0)
    now = 1000.0
    for _ in range(3):
        assert throttle.retry_after("Guard", "10.0.0.9", now) == 0
        throttle.failed("Guard", "10.0.0.9", now)
    waits = []
    for _ in range(8):
        wait = throttle.retry_after("guard", "10.0.0.9", now)  # names compare without case
        waits.append(wait)
        now += wait
        throttle.failed("guard", "10.0.0.9", now)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]  # doubling, up to the ceiling
    assert throttle.retry_after("guard", "10.0.0.1", now) == 0  # the owner, elsewhere
    throttle.succeeded("guard", "10.0.0.9")
    assert throttle.retry_after("guard", "10.0.0.9", now) == 0
    # A quiet spell long enough forgets the failures.
    for _ in range(4):
        throttle.failed("li", "10.0.0.9", now)
    assert throttle.retry_after("li", "10.0.0.9", now) > 0
    assert throttle.retry_after("li", "10.0.0.9", now + 901) == 0


def test_the_throttle_slows_a_spraying_address_and_an_administrator_lifts_delays() -> None:
    throttle = LoginThrottle(free_failures=2, longest_delay=600.0)
    for n in range(8):  # 2 x 4 failures for the address as a whole
        assert throttle.retry_after(f"name{n}", "10.0.0.7", 0.0) == 0
        throttle.failed(f"name{n}", "10.0.0.7", 0.0)
    assert throttle.retry_after("another", "10.0.0.7", 0.0) == 1
    for n in range(20):
        throttle.failed(f"more{n}", "10.0.0.7", 0.0)
    assert throttle.retry_after("another", "10.0.0.7", 0.0) == 30  # a NAT address: delayed, not shut
    assert throttle.retry_after("another", "10.0.0.8", 0.0) == 0
    assert throttle.unlock(address="10.0.0.7") == 28 + 1  # its pairs and the address itself
    assert throttle.retry_after("another", "10.0.0.7", 0.0) == 0
    for _ in range(3):
        throttle.failed("guard", "10.0.0.5", 0.0)
        throttle.failed("guard", "10.0.0.6", 0.0)
    assert throttle.unlock("GUARD") == 2
    assert throttle.retry_after("guard", "10.0.0.5", 0.0) == 0


def test_the_throttle_stays_bounded_under_a_spray_of_names() -> None:
    throttle = LoginThrottle()
    for n in range(25_000):
        throttle.failed(f"random{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", float(n))
    assert throttle.unlock() <= 10_001  # every pair is counted by unlock(); the table was trimmed


async def test_an_overlong_password_is_refused_at_sign_in_without_hashing(make_hub, monkeypatch) -> None:
    import hashlib

    hub = await make_hub()
    await hub.auth.async_add_user("wang.wei", "门卫密码-2026", frozenset({Role.GUARD}))
    calls: list[int] = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert await hub.auth.async_authenticate("wang.wei", "门卫密码-2026" + "x" * 200) is None
    assert calls == []
