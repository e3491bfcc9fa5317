"""The air-quality page (空气质量, /airquality): the fence microstations' latest readings, the remote-sensing
readings with the passage each joined, the vehicles and carriers over their limits, the anomalies with an
officer's acknowledgement, and the traffic-fence correlation with its charts.

Readings come from the `sensor.aq_*` states; everything else is an `insight.*` call as the signed-in
user, so roles, validation and the audit log are the service registry's. The charts are drawn by
`insight.chart` (matplotlib, offline) and served by /airquality/chart/<name>.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .i18n import Translator
from .pages import CallFailed, call, message_page, page, problems_text, render, services_for
from .posted import posted_form
from .responses import ui_of

FACTORS = ("pm25", "pm10", "tsp", "no2", "so2", "co", "o3", "wind_speed", "wind_direction", "temperature",
           "humidity", "pressure", "noise")  # fmt: skip
CHARTS = ("series", "lag", "daily", "monthly")
DEFAULT_DAYS = 7


def station_readings(states: Any) -> list[dict[str, Any]]:
    """The stations' sensors (`sensor.aq_<station>_<factor>`) grouped by station (pure)."""
    stations: dict[str, dict[str, Any]] = {}
    for state in states:
        entity_id = state.entity_id
        if not entity_id.startswith("sensor.aq_"):
            continue
        rest = entity_id.removeprefix("sensor.aq_")
        factor = next((f for f in FACTORS if rest.endswith("_" + f)), None)
        if factor is None:
            continue
        key = rest.removesuffix("_" + factor)
        entry = stations.setdefault(key, {"key": key, "name": state.attributes.get("station") or key,
                                          "values": {}})  # fmt: skip
        entry["values"][factor] = {
            "state": state.state, "unit": state.attributes.get("unit_of_measurement") or "",
            "data_time": state.attributes.get("data_time"), "flag": state.attributes.get("flag"),
        }  # fmt: skip
    return sorted(stations.values(), key=lambda s: s["key"])


def unit_names(states: Any) -> dict[str, str]:
    """Remote-sensing unit key -> its configured name (东门尾气遥感), from its `sensor.rs_<unit>_*` states
    (pure); the readings name their unit by key."""
    names: dict[str, str] = {}
    for state in states:
        rest = state.entity_id.removeprefix("sensor.rs_")
        name = state.attributes.get("unit")
        if rest != state.entity_id and name and state.entity_id.endswith("_plate"):
            names[rest.removesuffix("_plate")] = str(name)
    return names


def anomaly_text(t: Translator, anomaly: dict[str, Any]) -> str:
    """An anomaly's summary in the page's language from its detail (the insight component writes it in
    Chinese); the component's own summary where the detail does not fit the rule's message (pure)."""
    found = anomaly.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else {}
    values = {k: f"{v:g}" if isinstance(v, float) else v for k, v in detail.items()}
    if anomaly.get("rule") == "remote_sensing_exceedance":
        exceeded = detail.get("exceeded")
        over: dict[str, Any] = exceeded if isinstance(exceeded, dict) else {}
        values["plate"] = detail.get("plate") or anomaly.get("subject") or ""
        values["exceeded"] = ", ".join(
            f"{t('airquality.measure.' + m, m)} {pair['value']:g} > {pair['limit']:g}{_UNITS.get(m[-4:], '')}"
            for m, pair in over.items() if isinstance(pair, dict) and {"value", "limit"} <= set(pair)
        )  # fmt: skip
    template = t(f"airquality.summary.{anomaly.get('rule')}", "")
    try:
        return template.format(**values) if template else str(anomaly.get("summary") or "")
    except (KeyError, IndexError, ValueError, TypeError):
        return str(anomaly.get("summary") or "")


_UNITS = {"_ppm": " ppm", "_pct": " %"}


def correlation_query(query: Any, today: date, stations: list[str]) -> tuple[dict[str, Any], list[Any]]:
    """`insight.correlation` data from the page's query string (pure): station, start and end days."""
    problems: list[tuple[str, str]] = []
    station = (query.get("station") or (stations[0] if stations else "")).strip()
    days: dict[str, date] = {}
    for key, default in (("start", today - timedelta(days=DEFAULT_DAYS - 1)), ("end", today)):
        text = (query.get(key) or "").strip()
        try:
            days[key] = date.fromisoformat(text) if text else default
        except ValueError:
            problems.append((key, "not a date"))
            days[key] = default
    if days["end"] < days["start"]:
        problems.append(("end", "before start"))
    data = {
        "station": station, "factor": (query.get("factor") or "pm25").strip(),
        "start": datetime.combine(days["start"], time()).isoformat(),
        "end": datetime.combine(days["end"] + timedelta(days=1), time()).isoformat(),
    }  # fmt: skip
    return data, problems


@page("airquality")
async def airquality_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    if not hub.services.has_service("insight", "anomalies"):
        return message_page(
            request, 200, "airquality.title", t("error.component_missing", component=t("airquality.title"))
        )
    found: dict[str, Any] = {}
    error, fields, status = None, [], 200
    try:
        found["stations"] = (await call(request, "insight", "stations", {}))["stations"]
        found["readings"] = (await call(request, "insight", "readings", {"limit": 50}))["readings"]
        found["flagged"] = await call(request, "insight", "flagged", {})
        open_only = request.query.get("open_only") == "1"
        found["anomalies"] = (
            await call(request, "insight", "anomalies", {"limit": 100, "open_only": open_only})
        )["anomalies"]
        names = [s["station"] for s in found["stations"]]
        query, problems = correlation_query(request.query, hub.now().date(), names)
        if problems:
            error, fields, status = t("error.invalid"), problems, 400
        elif query["station"]:
            found["correlation"] = await call(request, "insight", "correlation", query)
            found["chart_query"] = urlencode({k: query[k] for k in ("station", "factor", "start", "end")})
    except CallFailed as err:
        error, fields, status = err.message, err.fields, err.status
    for anomaly in found.get("anomalies", []):
        anomaly["summary_text"] = anomaly_text(t, anomaly)
    actions = services_for(request, "insight.acknowledge")
    sensors = hub.states.all("sensor")
    stations = station_readings(sensors)
    return render(
        request, "airquality.html", status, page="airquality", readings_by_station=stations,
        station_names={s["key"]: s["name"] for s in stations}, unit_names=unit_names(sensors),
        found=found, error=error, fields=fields, filters=request.query,
        charts=CHARTS, may_acknowledge=actions["insight.acknowledge"]["allowed"],
        notice=request.query.get("done"),
    )  # fmt: skip


@page("airquality")
async def chart(request: web.Request) -> web.StreamResponse:
    name = request.match_info["chart"]
    if name not in CHARTS:
        raise web.HTTPNotFound()
    data: dict[str, Any] = {"chart": name, "lang": "en" if request["lang"] == "en" else "zh"}
    for key in ("station", "factor", "start", "end"):
        if request.query.get(key):
            data[key] = request.query[key]
    if request.query.get("format") == "svg":
        data["format"] = "svg"
    try:
        image = await call(request, "insight", "chart", data)
    except CallFailed as err:
        return web.Response(status=err.status, text=err.message)
    return web.Response(
        body=image["data"], content_type=image["content_type"], headers={"Cache-Control": "no-store"}
    )


@page("airquality")
async def acknowledge(request: web.Request) -> web.StreamResponse:
    t = request["t"]
    form = await posted_form(request, "airquality.title")
    if isinstance(form, web.Response):
        return form
    try:
        anomaly = int(request.match_info["anomaly_id"])
        await call(request, "insight", "acknowledge", {"id": anomaly, "note": str(form.get("note", ""))})
    except ValueError:
        return message_page(request, 404, "airquality.title", t("airquality.no_anomaly"))
    except CallFailed as err:
        return message_page(
            request, err.status, "airquality.title", problems_text(request, err.message, err.fields)
        )
    raise web.HTTPSeeOther("/airquality?done=acknowledged#anomalies")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/airquality", airquality_page)
    app.router.add_get("/airquality/chart/{chart}", chart)
    app.router.add_post("/airquality/anomaly/{anomaly_id}/acknowledge", acknowledge)
