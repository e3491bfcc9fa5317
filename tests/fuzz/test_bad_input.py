"""Bad input found at the web doors (issue 20), each answered with a 4xx and a reason, never a 500.

Every test ends with the hub still answering, and the suite's `no_tracebacks` fixture fails any test
during which a web handler logged a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
import requests

from hub.core.auth import Role
from tests.fuzz.conftest import PASSWORDS, LiveHub, feed_answer, tracebacks

DEEP = "[" * 100_000 + "]" * 100_000
JSON = {"Content-Type": "application/json"}


def post(live: LiveHub, path: str, role: Role | None = Role.ADMIN, **kwargs: Any) -> requests.Response:
    headers = {**(live.bearer(role) if role else {}), **kwargs.pop("headers", {})}
    return requests.post(f"{live.base}{path}", headers=headers, timeout=30, **kwargs)


def page(live: LiveHub, path: str, role: Role = Role.ADMIN) -> requests.Response:
    return requests.get(f"{live.base}{path}", headers=live.bearer(role), timeout=30, allow_redirects=False)


def refused(response: requests.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["error"] == error and body["message"], body
    return body


def test_deeply_nested_json_is_refused_at_every_door(live_hub: LiveHub) -> None:
    deep_but_short = "[" * 2000 + "]" * 2000  # a token request is at most 4 KiB
    refused(post(live_hub, "/api/auth/token", None, data=deep_but_short, headers=JSON), 400, "invalid_json")
    refused(post(live_hub, "/api/services/ledger/query", data=DEEP, headers=JSON), 400, "invalid_json")
    # Under Python's recursion limit, yet deeper than any service's data goes.
    nested: Any = {"plate": "冀B12345"}
    for _ in range(200):
        nested = {"a": nested}
    body = refused(post(live_hub, "/api/services/ledger/query", json=nested), 400, "invalid_json")
    assert "nested" in body["message"]

    async def over_websocket() -> list[dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{live_hub.base}/api/websocket", headers=live_hub.bearer(Role.GUARD)) as ws,
        ):
            hello = await feed_answer(ws)
            await ws.send_str("[" * 30_000 + "]" * 30_000)
            error = await feed_answer(ws)
            await ws.send_str('{"type": "ping"}')
            return [hello, error, await feed_answer(ws)]

    hello, error, pong = asyncio.run(over_websocket())
    assert hello["type"] == "hello" and pong == {"type": "pong"}
    assert error["type"] == "error" and "nested" in error["message"]
    assert live_hub.answers()


def test_a_charset_other_than_utf8_is_refused(live_hub: LiveHub) -> None:
    for charset in ("xyz", "utf-16"):
        headers = {"Content-Type": f"application/json; charset={charset}"}
        token = post(live_hub, "/api/auth/token", None, data=b"{}", headers=headers)
        refused(token, 415, "unsupported_media_type")
        service = post(live_hub, "/api/services/ledger/query", data=b"{}", headers=headers)
        refused(service, 415, "unsupported_media_type")
    latin = post(
        live_hub, "/api/services/ledger/query", data='{"plate": "\xc4"}'.encode("latin-1"), headers=JSON
    )
    refused(latin, 400, "invalid_json")
    assert live_hub.answers()


def test_a_token_request_is_small_and_a_json_object(live_hub: LiveHub) -> None:
    huge = {"username": "guard", "password": "x" * 10_000}
    refused(post(live_hub, "/api/auth/token", None, json=huge), 413, "too_large")
    for body in ([1, 2], "guard", {"username": ["guard"], "password": PASSWORDS[Role.GUARD]}):
        refused(post(live_hub, "/api/auth/token", None, json=body), 400, "invalid_request")
    refused(
        post(
            live_hub,
            "/api/auth/token",
            None,
            data=b"username=guard",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
        "unsupported_media_type",
    )


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("ledger/query", {"page": 2**63}),
        ("ledger/query", {"page": -(2**63) - 1}),
        ("ledger/read_records", {"after_seq": 2**64}),
        ("ledger/query", {"page_size": 1e400}),
        ("ledger/query", {"page_size": 1e19}),
        ("vehicles/list", {"class": "transport", "page": 10**30}),
    ],
)
def test_numbers_beyond_64_bits_are_refused_at_the_door(live_hub: LiveHub, service: str, data: Any) -> None:
    import json

    text = json.dumps(data)  # 1e400 is written as Infinity, which JSON does not have either
    body = refused(post(live_hub, f"/api/services/{service}", data=text, headers=JSON), 400, "invalid_json")
    assert "64 bits" in body["message"] or "not a JSON number" in body["message"]


@pytest.mark.parametrize(
    ("service", "data", "field"),
    [
        ("ledger/query", {"page": 2**62}, "page"),
        ("ledger/audit_query", {"page": 2**63 - 1}, "page"),
        ("ledger/read_records", {"after_seq": 2**63}, None),  # one past: refused at the door
        (
            "ledger/trips",
            {"start": "2026-11-01T00:00:00+08:00", "end": "2026-11-02T00:00:00+08:00", "page": 2**62},
            "page",
        ),
    ],
)
def test_pages_and_cursors_stay_within_the_database(
    live_hub: LiveHub, service: str, data: dict[str, Any], field: str | None
) -> None:
    response = post(live_hub, f"/api/services/{service}", json=data)
    if field is None:
        refused(response, 400, "invalid_json")
        return
    body = refused(response, 400, "invalid_data")
    assert [f["field"] for f in body["fields"]] == [field]


def test_the_last_sequence_number_is_a_valid_cursor(live_hub: LiveHub) -> None:
    response = post(live_hub, "/api/services/ledger/read_records", json={"after_seq": 2**63 - 1})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("service", "data", "field"),
    [
        ("ledger/report", {"report": "counts", "date": "0001-01-01"}, "date"),
        ("ledger/report", {"report": "counts", "period": "month", "date": "9999-12-31"}, "date"),
        ("ledger/report", {"report": "averages", "start": "9999-12-01", "end": "9999-12-31"}, "start"),
        ("ledger/report", {"report": "window", "at": "0001-01-01T00:00:00+23:59"}, "at"),
        ("ledger/report", {"report": "window", "at": "9999-12-31T23:59:59-23:59"}, "at"),
        (
            "ledger/export",
            {"report": {"report": "sample", "start": "9999-12-31", "end": "9999-12-31"}},
            "report.start",
        ),
        ("ledger/daily_stats", {"date": "9999-12-31"}, "date"),
        ("ledger/daily_stats", {"date": "0001-01-01"}, "date"),
        ("ledger/query", {"start": "0001-01-01T00:00:00+23:59"}, "start"),
        ("ledger/audit_query", {"end": "9999-12-31T23:59:59-23:59"}, "end"),
        ("ledger/trips", {"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}, "start"),
    ],
)
def test_dates_outside_a_plants_years_are_refused(
    live_hub: LiveHub, service: str, data: dict[str, Any], field: str
) -> None:
    body = refused(post(live_hub, f"/api/services/{service}", json=data), 400, "invalid_data")
    assert field in [f["field"] for f in body["fields"]]
    assert any("2000" in f["message"] for f in body["fields"])


@pytest.mark.parametrize(
    "path",
    [
        "/reports?report=counts&date=0001-01-01",
        "/reports?report=window&at=9999-12-31T23:59:59",
        "/reports?report=sample&start=9999-12-31&end=9999-12-31",
        "/reports?report=counts&period=month&month=9999-12",
        "/passages?start=9999-12-31T23:59:59&at_exact=1",
        "/passages?start=0001-01-01T00:00",
        "/passages?page=99999999999999999999999",
        "/audit?page=9223372036854775807",
        "/passages/01JDEMO?at=9999-12-31T23:59:59",
    ],
)
def test_hmi_pages_show_bad_dates_and_pages_as_input_errors(live_hub: LiveHub, path: str) -> None:
    response = page(live_hub, path)
    assert response.status_code in (200, 400, 404), response.text[:300]
    assert "text/html" in response.headers["Content-Type"]
    assert "输入有误" in response.text or "2000" in response.text or "未找到" in response.text


def test_a_report_download_with_a_bad_date_is_a_message_page(live_hub: LiveHub) -> None:
    response = page(live_hub, "/reports/download?report=counts&date=0001-01-01&format=csv")
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"] and "检查报表" in response.text
    assert "2000" in response.text


def test_register_filters_and_missing_records(live_hub: LiveHub) -> None:
    for query in (
        "tab=transport&fuel=X",
        "tab=transport&emission_stage=国九",
        "tab=machinery&fleet=%00",
        "tab=transport&page=-5",
        "tab=transport&q=" + "冀" * 800,
    ):
        response = page(live_hub, f"/vehicles?{query}")
        assert response.status_code in (200, 400), (query, response.text[:300])
    # A search the register refuses (too long a text) shows the form again, its choices and the problem.
    response = page(live_hub, "/vehicles?tab=transport&q=" + "冀" * 800)
    assert response.status_code == 400 and "国六" in response.text and 'role="alert"' in response.text
    response = page(live_hub, "/vehicles?tab=nothing")
    assert response.status_code == 404
    response = page(live_hub, "/vehicles/transport/%E5%86%80Z99999")
    assert response.status_code == 404
    assert "台账中没有 冀Z99999" in response.text
    response = page(live_hub, "/vehicles/transport/%E5%86%80Z99999?lang=en")
    assert response.status_code == 404 and "No 冀Z99999 in the register" in response.text


def test_a_lone_surrogate_echoed_in_an_answer_is_escaped(live_hub: LiveHub) -> None:
    text = '{"passage_id": "\\ud800passage-x", "reason": "测试", "approver": "\\udfff"}'
    response = post(live_hub, "/api/services/policy/release", data=text.encode(), headers=JSON)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.json()["error"]
    assert live_hub.answers()


def test_a_photo_name_that_is_no_sha256_is_a_json_404(live_hub: LiveHub) -> None:
    for name in ("%C2%84", "abc", "F" * 64, "0" * 65):
        response = page(live_hub, f"/api/evidence/{name}")
        refused(response, 404, "not_found")


def test_a_token_request_names_only_the_user_and_the_password(live_hub: LiveHub) -> None:
    body = {"username": "guard", "password": PASSWORDS[Role.GUARD], "role": "admin"}
    refused(post(live_hub, "/api/auth/token", None, json=body), 400, "invalid_request")
    for data in (b"null", b"[]", b'"guard"'):
        refused(post(live_hub, "/api/services/ledger/query", data=data, headers=JSON), 400, "invalid_json")


@pytest.mark.parametrize(
    ("method", "path", "status", "named"),
    [
        ("GET", "/vehicles?tab=nothing", 404, "nothing"),
        ("GET", "/vehicles/lorries/new", 404, "lorries"),
        ("GET", "/vehicles/transport/export?format=pdf", 404, "transport.pdf"),
        ("POST", "/vehicles/lorries/save", 404, "lorries"),
        ("POST", "/vehicles/lorries/import", 404, "lorries"),
        ("POST", "/vehicles/lists/whitelist/add", 404, "whitelist/add"),
        ("GET", "/reports/download?report=counts&format=pdf", 400, "xlsx, csv"),
    ],
)
def test_hmi_refusals_are_translated_message_pages(
    live_hub: LiveHub, method: str, path: str, status: int, named: str
) -> None:
    titles = {"zh-CN": "车辆台账", "en": "Vehicle register"}
    if path.startswith("/reports"):
        titles = {"zh-CN": "检查报表", "en": "Inspection reports"}
    for lang, title in titles.items():
        headers = {**live_hub.bearer(Role.OFFICER), "Cookie": f"ecogate_lang={lang}"}
        response = requests.request(
            method, f"{live_hub.base}{path}", headers=headers, timeout=30, allow_redirects=False
        )
        assert response.status_code == status, response.text[:300]
        assert "text/html" in response.headers["Content-Type"]
        assert named in response.text and title in response.text


def test_an_import_file_past_the_register_limit_is_refused_while_read(live_hub: LiveHub) -> None:
    huge = b"plate,colour\n" + b"x" * (50 * 1024 * 1024)
    response = requests.post(
        f"{live_hub.base}/vehicles/transport/import",
        files={"file": ("车辆.csv", huge, "text/csv")},
        headers=live_hub.bearer(Role.OFFICER),
        timeout=60,
    )
    assert response.status_code == 413 and "text/html" in response.headers["Content-Type"]
    assert "文件过大" in response.text and "50 MiB" in response.text
    assert live_hub.answers()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("report=window&at=9999-12-31T23:59:59", 400),
        ("report=counts&date=0001-01-01", 400),
        ("report=sample&size=many", 400),
        ("report=window", 200),  # the form, not yet filled in
        ("report=counts&date=2026-11-24", 200),
    ],
)
def test_the_reports_page_answers_bad_input_with_400_and_the_problem(
    live_hub: LiveHub, query: str, status: int
) -> None:
    response = page(live_hub, f"/reports?{query}", Role.INSPECTOR)
    assert response.status_code == status, response.text[:300]
    assert ('<div class="error" role="alert">' in response.text) == (status == 400)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/x-www-form-urlencoded; charset=xyz", b"plate=%E5%86%80B00001&reason=x", 415),
        ("application/x-www-form-urlencoded; charset=utf-16", b"plate=x", 400),
        ("multipart/form-data", b"--zz\r\n", 400),
        ("multipart/form-data; boundary=zz", b"garbage", 400),
    ],
)
def test_a_form_that_cannot_be_read_is_a_message_page(
    live_hub: LiveHub, content_type: str, body: bytes, status: int
) -> None:
    for path in ("/vehicles/lists/blacklist/add", "/vehicles/transport/save", "/vehicles/transport/import"):
        if path.endswith("import") and not content_type.startswith("multipart/"):
            continue  # an import reads only multipart bodies: anything else is "no file chosen"
        headers = {**live_hub.bearer(Role.OFFICER), "Content-Type": content_type}
        response = requests.post(f"{live_hub.base}{path}", data=body, headers=headers, timeout=30)
        assert response.status_code == status, (path, response.text[:300])
        assert "无法读取提交的表单" in response.text
    assert live_hub.answers()


def test_the_traceback_check_sees_a_handler_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """The suite's own check: a handler's traceback in the log is found (and cleared, this once)."""
    try:
        raise RuntimeError("a handler failed")
    except RuntimeError:
        logging.getLogger("aiohttp.server").exception("Error handling request from 127.0.0.1")
    logging.getLogger("hub.ui.api").warning("a refusal, logged without a traceback")
    assert tracebacks(caplog.get_records("call")) == ["aiohttp.server: Error handling request from 127.0.0.1"]
    caplog.clear()


def test_bodies_past_the_application_limit_are_413_with_a_reason(live_hub: LiveHub) -> None:
    big = b"x" * (17 * 1024 * 1024)  # the app takes 16 MiB (a register import as base64)
    response = post(
        live_hub, "/api/services/vehicles/import", data=b'{"content": "' + big + b'"}', headers=JSON
    )
    refused(response, 413, "too_large")
    form = b"plate=B&reason=" + big
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = post(live_hub, "/vehicles/lists/blacklist/add", Role.OFFICER, data=form, headers=headers)
    assert response.status_code == 413 and "无法读取提交的表单" in response.text

    async def over_websocket() -> tuple[int | None, dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(
                f"{live_hub.base}/api/websocket", headers=live_hub.bearer(Role.GUARD)
            ) as ws:
                await feed_answer(ws)
                await ws.send_str('{"type": "ping", "pad": "' + "x" * 100_000 + '"}')
                await ws.receive(timeout=10)
                closed = ws.close_code
            async with session.ws_connect(
                f"{live_hub.base}/api/websocket", headers=live_hub.bearer(Role.GUARD)
            ) as ws:
                return closed, await feed_answer(ws)

    close_code, hello = asyncio.run(over_websocket())
    assert close_code == 1009 and hello["type"] == "hello"  # 1009: message too big
    assert live_hub.answers()


def test_long_bodies_are_held_to_the_same_rules(live_hub: LiveHub) -> None:
    """Bodies past 64 KiB are parsed off the loop, under the same limits."""
    padding = "冀" * 200_000
    deep = '{"plate": "' + padding + '", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    refused(
        post(live_hub, "/api/services/ledger/query", data=deep.encode(), headers=JSON), 400, "invalid_json"
    )
    huge = '{"plate": "' + padding + '", "page": 18446744073709551616}'
    refused(
        post(live_hub, "/api/services/ledger/query", data=huge.encode(), headers=JSON), 400, "invalid_json"
    )
    body = refused(post(live_hub, "/api/services/ledger/query", json={"plate": padding}), 400, "invalid_data")
    assert [f["field"] for f in body["fields"]] == ["plate"]


def test_a_request_aiohttp_cannot_parse_is_a_400_and_a_warning_not_a_traceback(
    live_hub: LiveHub, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = live_hub.base.removeprefix("http://").split(":")

    async def send() -> bytes:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        answer = await reader.read(64)
        writer.close()
        return answer

    assert live_hub.run(send()).startswith(b"HTTP/1.0 400")
    warned = [r for r in caplog.get_records("call") if r.name == "aiohttp.server"]
    assert warned and all(r.levelno == logging.WARNING and not r.exc_info for r in warned)
    assert "8190 bytes" in warned[0].getMessage()
    assert live_hub.answers()
