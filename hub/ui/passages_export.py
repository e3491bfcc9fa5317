"""The passage search as a download (/passages/export): the same filters as the search page, every
matching row (up to the ledger's export limit) as .xlsx or .csv through `ledger.export`, so the file
holds what the search showed and the export is audited like any service call."""

from __future__ import annotations

from aiohttp import web

from .forms import passage_filters
from .pages import CallFailed, call, message_page, page, problems_text
from .register import download
from .responses import ui_of


@page("passages")
async def export_search(request: web.Request) -> web.StreamResponse:
    hub, t = ui_of(request).hub, request["t"]
    fmt = request.query.get("format", "xlsx")
    query, problems = passage_filters(request.query, hub.clock.tz)
    if fmt not in ("xlsx", "csv"):
        problems.append(("format", "xlsx, csv"))
    if problems:
        return message_page(
            request, 400, "passages.title", problems_text(request, t("error.invalid"), problems)
        )
    query = {k: v for k, v in query.items() if k not in ("page", "page_size")}
    try:
        result = await call(request, "ledger", "export", {"query": query, "format": fmt})
    except CallFailed as err:
        return message_page(
            request, err.status, "passages.title", problems_text(request, err.message, err.fields)
        )
    return download(result["content"], result["filename"], result["content_type"])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/passages/export", export_search)
