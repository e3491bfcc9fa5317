"""Hypothesis at the HMI's own doors: the pages' query strings and the register's form posts.

A page answers a bad query or form with itself and the problem named (or a message page with a 4xx),
never a 5xx; the suite's `no_tracebacks` fixture fails any traceback in the web handlers' log.
"""

from __future__ import annotations

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core.auth import Role
from tests.components.vehicles.conftest import transport
from tests.fuzz.conftest import LiveHub

PAGES = [
    "/lanes", "/passages", "/passages/01JDEMO0000000000000000000", "/alert", "/vehicles",
    "/vehicles/services", "/vehicles/transport/new", "/vehicles/transport/冀B00001", "/vehicles/in_plant/X",
    "/vehicles/machinery/new", "/vehicles/nothing/new", "/vehicles/transport/export", "/reports",
    "/reports/download", "/audit", "/uplink",
    "/quality", "/devices", "/vehicle/冀B00001", "/vehicle/%00", "/passages/export", "/reports/export",
    "/reports/file", "/airquality", "/airquality/chart/series", "/airquality/chart/nothing",
]  # fmt: skip
KEYS = [
    "tab", "fuel", "emission_stage", "fleet", "q", "page", "page_size", "start", "end", "at", "at_exact",
    "report", "period", "month", "date", "size", "seed", "minutes", "gate", "lane", "format", "plate",
    "plate_mode", "direction", "decision", "username", "action", "door", "outcome", "target", "all",
    "done", "lang",
    "rule", "status", "severity", "subject", "kind", "name", "fleet", "station", "factor", "open_only",
]  # fmt: skip
VALUES = st.sampled_from(
    [
        "", "X", "transport", "machinery", "blacklist", "pass", "month", "window", "sample", "averages",
        "counts", "xlsx", "csv", "exact", "in", "deny", "en", "zh-CN", "1", "0", "-1", "9" * 30, "2**63",
        "9223372036854775807", "2026-11-24", "2026-11", "9999-12", "0001-01", "9999-12-31", "0001-01-01",
        "2026-11-24T08:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+23:59", "冀B00001", "\x00",
        "%", "'; DROP TABLE passages; --", "<b>x</b>", "{key}", "{0}", "国九", "ledger.", "🚛",
    ]
) | st.text(max_size=20)  # fmt: skip
QUERIES = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5)
ROLES = st.sampled_from(list(Role))
BOUNDED = settings(
    max_examples=250, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def _seed_register(live: LiveHub) -> None:
    response = requests.post(
        f"{live.base}/api/services/vehicles/upsert",
        json={"class": "transport", "record": transport(1)},
        headers=live.bearer(Role.OFFICER),
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_page_queries_never_fail_the_page(live_hub: LiveHub) -> None:
    _seed_register(live_hub)

    @BOUNDED
    @given(st.sampled_from(PAGES), QUERIES, ROLES)
    def one_page(path: str, query: dict[str, str], role: Role) -> None:
        response = requests.get(
            f"{live_hub.base}{path}",
            params=query,
            headers=live_hub.bearer(role),
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code < 500, f"{path}?{query} as {role.value}: {response.text[:300]}"

    one_page()
    assert live_hub.answers()


FORM_FIELDS = st.dictionaries(
    st.sampled_from(["plate", "colour", "vin", "fuel", "emission_stage", "registration_date", "reason", "id",
                     "until", "valid_until", "_key", "vehicle_type", "network_status", "gross_mass_kg",
                     "note", "back", "date", "start", "end", "platform", "mode", "direction", "tonnes",
                     "source"]),
    VALUES,
    max_size=8,
)  # fmt: skip
FORM_PATHS = st.sampled_from(
    [
        "/vehicles/transport/save", "/vehicles/in_plant/save", "/vehicles/nothing/save",
        "/vehicles/lists/blacklist/add", "/vehicles/lists/blacklist/remove", "/vehicles/lists/pass/add",
        "/vehicles/lists/pass/remove", "/vehicles/lists/other/add", "/vehicles/transport/冀B00009/delete",
        "/quality/1/acknowledge", "/quality/x/acknowledge", "/quality/run", "/uplink/resend",
        "/reports/tonnage", "/airquality/anomaly/1/acknowledge", "/airquality/anomaly/x/acknowledge",
    ]
)  # fmt: skip


# None: what the browser sends (urlencoded UTF-8); the others claim what the body is not.
CONTENT_TYPES = st.sampled_from(
    [
        None, None, None, "application/x-www-form-urlencoded; charset=nope",
        "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data",
        "multipart/form-data; boundary=x", "text/plain", "application/json",
    ]
)  # fmt: skip


def test_register_form_posts_never_fail_the_page(live_hub: LiveHub) -> None:
    @BOUNDED
    @given(FORM_PATHS, FORM_FIELDS, ROLES, CONTENT_TYPES)
    def one_post(path: str, form: dict[str, str], role: Role, content_type: str | None) -> None:
        headers = live_hub.bearer(role) | ({"Content-Type": content_type} if content_type else {})
        response = requests.post(
            f"{live_hub.base}{path}",
            data={k: v.encode("utf-8", "surrogatepass") for k, v in form.items()},
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )
        assert response.status_code < 500, f"{path} {form} as {role.value}: {response.text[:300]}"

    one_post()
    assert live_hub.answers()
