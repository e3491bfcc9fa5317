"""Users and roles: salted slow hashes in the database, the `ecogate user` command, authentication."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.core import HubError
from hub.core.auth import Role, hash_password, verify_password
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
    for password, reason in (("x" * 300, "at most 128"), ("12345678", "too common"), ("zhang123", "")):
        command = ("add", "zhang", "--roles", "guard", "--password-stdin")
        added = _ecogate(config, *command, stdin=password + "\n")
        if not reason:
            assert added.returncode == 0, added.stderr
            continue
        assert added.returncode == 1 and reason in added.stderr
        assert _ecogate(config, "list").stdout == ""
    # The name padded to length with (ideographic) spaces is still the name.
    weak = _ecogate(config, "passwd", "zhang", "--password-stdin", stdin="Zhang\u3000\u3000\u3000\n")
    assert weak.returncode == 1 and "not the user name" in weak.stderr
