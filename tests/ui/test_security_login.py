"""Failed sign-ins slow the guesser, never shut out the owner; an administrator lifts the delays.

Real HTTP from different loopback addresses (127.0.0.x), the hub's clock driven by the test.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from datetime import timedelta

import aiohttp

from hub.core.auth import Role
from hub.core.const import EVENT_USER_LOGIN
from tests.conftest import REPO
from tests.ui.conftest import PASSWORDS, add_role_users, token_for, ui_url

CONFIG = """\
hub: {name: 登录测试}
ledger:
ui: {port: 0, max_failed_logins: 3, lockout_minutes: 5}
"""


def client_at(address: str) -> aiohttp.ClientSession:
    """A client whose requests come from `address` (any 127.x.y.z reaches the hub on loopback)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0)))


async def try_token(
    session: aiohttp.ClientSession, base: str, username: str, password: str
) -> tuple[int, dict]:
    body = {"username": username, "password": password}
    async with session.post(f"{base}/api/auth/token", json=body) as response:
        return response.status, await response.json()


async def test_guessing_from_one_address_never_shuts_the_owner_out(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    async with client_at("127.0.0.2") as attacker, client_at("127.0.0.1") as owner:
        for _ in range(3):
            assert (await try_token(attacker, base, "guard", "guessing-1"))[0] == 401
        status, body = await try_token(attacker, base, "guard", "guessing-2")
        assert status == 429 and body["error"] == "locked"
        # The delays grow with each further failure: the guesser gets slower and slower ...
        waits = []
        for _ in range(4):
            status, body = await try_token(attacker, base, "guard", "guessing-3")
            assert status == 429
            waits.append(body["retry_after"])
            clock.advance(timedelta(seconds=body["retry_after"]))
            assert (await try_token(attacker, base, "guard", "guessing-4"))[0] == 401
        assert waits == sorted(waits) and waits[-1] > waits[0]
        assert (await try_token(attacker, base, "guard", "guessing-5"))[0] == 429

        # ... while the real guard, from the control room's address, signs in at once: by token ...
        assert (await try_token(owner, base, "guard", PASSWORDS[Role.GUARD]))[0] == 200
        # ... by the login form ...
        form = {"username": "guard", "password": PASSWORDS[Role.GUARD], "next": "/lanes"}
        async with owner.post(
            f"{base}/login", data=form, headers={"Origin": base}, allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/lanes"
        # ... and by basic auth.
        auth = {"Authorization": aiohttp.encode_basic_auth("guard", PASSWORDS[Role.GUARD])}
        async with owner.get(f"{base}/api/me", headers=auth) as response:
            assert response.status == 200 and (await response.json())["username"] == "guard"
        # The guesser stays slowed down.
        assert (await try_token(attacker, base, "guard", "guessing-6"))[0] == 429


async def test_one_address_trying_many_names_is_slowed_but_not_shut(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    async with client_at("127.0.0.3") as sprayer, client_at("127.0.0.1") as owner:
        # 3 free failures per name and address, 4 x 3 for the address as a whole.
        for n in range(12):
            assert (await try_token(sprayer, base, f"name{n}", "guessing-1"))[0] == 401
        status, body = await try_token(sprayer, base, "name99", "guessing-1")
        assert status == 429 and body["retry_after"] <= 31
        # Others are not held up by one address's spray.
        assert (await try_token(owner, base, "officer", PASSWORDS[Role.OFFICER]))[0] == 200
        # A shared NAT address is delayed, never shut: at most half a minute between attempts.
        for _ in range(8):
            clock.advance(timedelta(seconds=31))
            assert (await try_token(sprayer, base, "name99", "guessing-1"))[0] == 401


async def test_an_administrator_lifts_the_delays_by_service_and_cli(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    logins = []
    hub.bus.async_listen(EVENT_USER_LOGIN, logins.append)

    async def throttle_guard(attacker: aiohttp.ClientSession) -> None:
        for _ in range(4):
            await try_token(attacker, base, "guard", "guessing-1")
        assert (await try_token(attacker, base, "guard", PASSWORDS[Role.GUARD]))[0] == 429

    async with client_at("127.0.0.2") as attacker, client_at("127.0.0.1") as admin_client:
        await throttle_guard(attacker)
        admin = {"Authorization": "Bearer " + await token_for(admin_client, base, Role.ADMIN)}
        async with admin_client.post(
            f"{base}/api/services/ui/unlock_login", headers=admin, json={"username": "guard"}
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["result"] == {"lifted": 1}
        assert (await try_token(attacker, base, "guard", PASSWORDS[Role.GUARD]))[0] == 200

        # Only an administrator may lift them.
        officer = {"Authorization": "Bearer " + await token_for(admin_client, base, Role.OFFICER)}
        async with admin_client.post(
            f"{base}/api/services/ui/unlock_login", headers=officer, json={"username": "guard"}
        ) as response:
            assert response.status == 403

        # `ecogate user unlock` from another process reaches the running hub.
        await throttle_guard(attacker)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub", "user", "-c", str(hub.config_dir), "unlock", "guard",
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
        assert (await try_token(attacker, base, "guard", PASSWORDS[Role.GUARD]))[0] == 200
    outcomes = [e.data["outcome"] for e in logins if e.data["username"] == "guard"]
    assert "locked" in outcomes and outcomes[-1] == "ok"


async def test_unknown_names_cost_one_password_hash_like_known_ones(make_hub, clock, monkeypatch) -> None:
    """The time of a refusal must not tell which names exist: each attempt hashes exactly once.
    (bench/login_timing.py prints the times themselves.)"""
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    hashes: list[int] = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args, **kwargs):  # type: ignore[no-untyped-def]
        hashes.append(1)
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    async with client_at("127.0.0.4") as client:
        for username in ("guard", "no-such-user"):
            hashes.clear()
            assert (await try_token(client, base, username, "wrong-password-1"))[0] == 401
            assert len(hashes) == 1, username
