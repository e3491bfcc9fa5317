"""Charts of the correlation, drawn offline with matplotlib (Agg) as PNG or SVG (blocking: run it in the
executor). Three figures: the hourly fence concentration over the gate's entries per stage group, R² per
lag (the chosen lag marked), and the traffic share per day or month with its 95 % interval.

matplotlib's pyplot keeps global state; a `Figure` with its own Agg canvas does not, so charts may be
drawn in any worker thread. Text is in Chinese where a CJK font is installed (Noto CJK on the plant's
Debian), else in English: a missing glyph would print as a box.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

CHARTS = ("series", "lag", "daily", "monthly")
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC")
GROUP_LABELS = {
    "zh": {"le4": "国四及以下", "s5": "国五", "s6": "国六", "gas_electric": "燃气/电动"},
    "en": {"le4": "China IV or older", "s5": "China V", "s6": "China VI", "gas_electric": "gas/electric"},
}
TEXT = {
    "zh": {
        "series": "厂界浓度与进厂车流（逐时）", "conc": "浓度", "entries": "进厂车辆/时",
        "tonnes": "进厂吨数/时",
        "lag": "滞后时间与拟合优度", "lag_x": "滞后（小时）", "best": "选定滞后 {lag} h",
        "daily": "每日车流贡献率（95% 置信区间）", "monthly": "每月车流贡献率（95% 置信区间）",
        "share": "车流贡献率", "none": "数据不足，无法分析",
    },
    "en": {
        "series": "Fence concentration and entries, hourly", "conc": "concentration",
        "entries": "entries per hour", "tonnes": "tonnes per hour", "lag": "Fit by lag",
        "lag_x": "lag (hours)", "best": "chosen lag {lag} h",
        "daily": "Traffic share per day (95 % interval)",
        "monthly": "Traffic share per month (95 % interval)",
        "share": "traffic share", "none": "not enough data to analyse",
    },
}  # fmt: skip
# matplotlib's font cache and text layout are shared by every figure: one chart at a time.
_LOCK = threading.Lock()


@cache
def cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def draw(
    chart: str, fmt: str, answer: Mapping[str, Any], conc: Mapping[int, float],
    traffic: Mapping[int, Sequence[float]], tz: tzinfo, lang: str = "zh",
) -> bytes:  # fmt: skip
    """One chart of a correlation `answer` (insight.correlation) and the series it was made from."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = cjk_font()
    lang = lang if lang == "en" or font else "en"
    words = TEXT[lang]
    with _LOCK:
        figure = Figure(figsize=(9, 4.2), dpi=100)
        # Fixed margins: constrained layout measured every text twice, a third of the drawing time.
        figure.subplots_adjust(left=0.08, right=0.91, bottom=0.2, top=0.9)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        family = [font, "DejaVu Sans"] if font and lang == "zh" else ["DejaVu Sans"]
        for text in (axes.title, axes.xaxis.label, axes.yaxis.label):
            text.set_fontfamily(family)
        if answer.get("result") is None:
            axes.text(0.5, 0.5, words["none"], ha="center", va="center", fontfamily=family)
            axes.set_axis_off()
        elif chart == "series":
            _series(figure, axes, answer, conc, traffic, tz, lang, family)
        elif chart == "lag":
            _lag(axes, answer, words, family)
        else:
            _shares(axes, answer["by_day" if chart == "daily" else "by_month"], words[chart], words, family)
        out = io.BytesIO()
        figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def _series(
    figure: Any, axes: Any, answer: Mapping[str, Any], conc: Mapping[int, float],
    traffic: Mapping[int, Sequence[float]], tz: tzinfo, lang: str, family: list[str],
) -> None:  # fmt: skip
    words = TEXT[lang]
    groups = answer.get("groups") or list(GROUP_LABELS["en"])
    hours = sorted(conc)
    # Beyond three weeks an hour's bar is narrower than a pixel: days instead (mean concentration,
    # entries summed), so a year draws as fast as a week.
    step = 24 if len(hours) > 21 * 24 else 1
    slots: dict[int, tuple[list[float], list[float]]] = {}
    for h in hours:
        midnight = datetime.fromtimestamp(h * 3600, tz).replace(hour=0)
        key = h if step == 1 else int(midnight.timestamp()) // 3600
        values, counts = slots.setdefault(key, ([], [0.0] * len(groups)))
        values.append(conc[h])
        for index, amount in enumerate(traffic.get(h, ())):
            counts[index] += float(amount)
    keys = sorted(slots)
    when = [datetime.fromtimestamp(k * 3600, UTC).astimezone(tz) for k in keys]
    bottom = [0.0] * len(keys)
    bars = axes.twinx()
    for index, group in enumerate(groups):
        counts = [slots[k][1][index] for k in keys]
        label = GROUP_LABELS[lang].get(group, group)
        bars.bar(when, counts, step / 24, bottom=bottom, alpha=0.45, label=label)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    per = "tonnes" if answer.get("measure") == "tonnage" else "entries"
    bars.set_ylabel(words[per] if step == 1 else words[per].replace("/时", "/日").replace("hour", "day"),
                    fontfamily=family)  # fmt: skip
    means = [sum(slots[k][0]) / len(slots[k][0]) for k in keys]
    axes.plot(when, means, color="black", linewidth=1.2, label=answer.get("factor", ""))
    axes.set_zorder(bars.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.set_ylabel(f"{words['conc']} {answer.get('factor', '')}", fontfamily=family)
    axes.set_title(f"{words['series']} · {answer.get('station', '')}", fontfamily=family)
    bars.legend(loc="upper left", fontsize=8, prop={"family": family, "size": 8})
    figure.autofmt_xdate()


def _lag(axes: Any, answer: Mapping[str, Any], words: Mapping[str, str], family: list[str]) -> None:
    lags = [row["lag_hours"] for row in answer["by_lag"]]
    axes.plot(lags, [row["r2"] for row in answer["by_lag"]], marker="o")
    best = answer["result"]
    axes.axvline(best["lag_hours"], color="tab:red", linestyle="--")
    axes.annotate(words["best"].format(lag=best["lag_hours"]), (best["lag_hours"], best["r2"]),
                  textcoords="offset points", xytext=(6, -14), fontfamily=family)  # fmt: skip
    axes.set_xlabel(words["lag_x"], fontfamily=family)
    axes.set_ylabel("R²")
    axes.set_title(words["lag"], fontfamily=family)


def _shares(
    axes: Any, rows: Sequence[Mapping[str, Any]], title: str, words: Mapping[str, str], family: list[str]
) -> None:
    labels = [row["period"] for row in rows]
    shares = [row["traffic_share"] * 100 for row in rows]
    errors = [1.96 * row["share_se"] * 100 for row in rows]
    axes.bar(range(len(rows)), shares, yerr=errors, capsize=3, color="tab:blue", alpha=0.7)
    step = max(1, len(rows) // 12)
    axes.set_xticks(range(0, len(rows), step), labels[::step], rotation=30, ha="right")
    axes.set_ylabel(f"{words['share']} %", fontfamily=family)
    axes.set_title(title, fontfamily=family)
