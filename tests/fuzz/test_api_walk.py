"""The API walk: every route of the OpenAPI document refuses a request without a sign-in, and every
service refuses each role it does not name — on the live hub the fuzz suite runs (most components)."""

from __future__ import annotations

import re

import pytest
import requests
import yaml

from hub.core.auth import Role
from tests.fuzz.conftest import LiveHub, repo_file

PUBLIC = {"/api/health", "/api/auth/token", "/api/openapi.yaml"}
# A value for each path parameter the document uses; the refusal must come before any lookup.
PARAMETERS = {"domain": "ledger", "service": "query", "entity_id": "sensor.nothing", "sha256": "a" * 64}


def operations() -> list[tuple[str, str]]:
    document = yaml.safe_load(repo_file("hub", "ui", "openapi.yaml").read_text(encoding="utf-8"))
    found = []
    for path, item in document["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete") and path not in PUBLIC:
                found.append((method.upper(), path))
    return found


def filled(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMETERS.get(m[1], "x"), path)


@pytest.mark.parametrize(("method", "path"), operations(), ids=lambda v: v)
def test_every_route_wants_a_sign_in(method: str, path: str, live_hub: LiveHub) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        url = live_hub.base + filled(path)
        response = requests.request(method, url, headers=headers, json={}, timeout=10)
        assert response.status_code == 401, (method, path, response.text[:200])


def test_every_service_refuses_the_roles_it_does_not_name(live_hub: LiveHub) -> None:
    listing = requests.get(f"{live_hub.base}/api/services", headers=live_hub.bearer(Role.ADMIN), timeout=10)
    services = listing.json()
    assert len(services) > 40
    walked = 0
    for service in services:
        if not service["roles"]:
            continue
        for role in Role:
            if role is Role.ADMIN or role.value in service["roles"]:
                continue
            url = f"{live_hub.base}/api/services/{service['domain']}/{service['service']}"
            response = requests.post(url, headers=live_hub.bearer(role), json={}, timeout=10)
            assert response.status_code == 403, (service["domain"], service["service"], role.value)
            walked += 1
    assert walked > 100
