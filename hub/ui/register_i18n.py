"""The register's field lists in the page's language. The register answers with its Chinese headers and
code lists (they are also the import files' headings); an English page shows them in English, with the
Chinese label where no translation is known. Its refusals come as bilingual sentences; the page words them
in its own language from the code each sentence stands for (hub/components/vehicles/problems.py)."""

from __future__ import annotations

import functools
import re
from typing import Any

from .i18n import Translator

# Code lists by field kind -> the message prefix that names their codes.
_CODES = {
    "colour": "colour.", "fuel": "fuel.", "stage": "stage.", "machine_stage": "stage.",
    "whitelist": "register.whitelist.", "bool": "register.bool.", "usable": "register.bool.",
}  # fmt: skip


def tables_in(tables: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The tables of `vehicles.fields` with classes, headers and code lists translated (pure)."""
    tables = {**tables, "header_names": header_names(tables)}
    if t.lang == "zh-CN":
        return tables
    fields = {
        vclass: [
            {**f, "header": t(f"register.field.{f['name']}", f["header"]),
             "choices": {code: t(_CODES[f["kind"]] + code, label) for code, label in f["choices"].items()}
             if f["choices"] and f["kind"] in _CODES else f["choices"]}
            for f in items
        ]
        for vclass, items in tables["fields"].items()
    }  # fmt: skip
    classes = {vclass: t(f"register.class.{vclass}", label) for vclass, label in tables["classes"].items()}
    photos = {
        vclass: [{**f, "header": t(f"register.field.{f['name']}", f["header"])} for f in items]
        for vclass, items in tables.get("photos", {}).items()
    }
    return {**tables, "classes": classes, "fields": fields, "photos": photos}


def header_names(tables: dict[str, Any]) -> dict[str, str]:
    """The register's own (Chinese) field headings -> field names, before any translation."""
    return {
        f["header"]: f["name"]
        for group in ("fields", "photos")
        for items in tables.get(group, {}).values()
        for f in items
    }


# pydantic's own sentences for the schemas' simple limits (the register's forms meet these few).
_PYDANTIC = (
    (re.compile(r"Field required|String should have at least 1 character"), "register.error.required"),
    (
        re.compile(r"String should have at most (?P<max>\d+) characters?"),
        "register.problem.pydantic_too_long",
    ),
    (re.compile(r"Input should be a valid datetime.*", re.DOTALL), "register.problem.pydantic_time"),
)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


def identify(tables: dict[str, Any], text: str) -> tuple[str, dict[str, str]] | None:
    """(code, values) of one of the register's refusals, by the patterns its `fields` service gives."""
    text = text.removeprefix("Value error, ")  # a pydantic validator's sentence
    for item in tables.get("problems", ()):
        if found := _compiled(item["pattern"]).fullmatch(text):
            return item["code"], {k: v for k, v in found.groupdict().items() if not k.startswith("_")}
    return None


def in_words(tables: dict[str, Any], t: Translator, text: str) -> str:
    """A refusal of the register in the page's language (register.problem.<code>); the register's own
    sentence where it has no code or the page no words for it."""
    text = str(text)
    found = identify(tables, text)
    if found is None:
        for pattern, key in _PYDANTIC:
            if match := pattern.fullmatch(text):
                return t(key, text, **match.groupdict())
        return text
    return coded_words(tables, t, found[0], found[1], text)


def coded_words(tables: dict[str, Any], t: Translator, code: str, values: dict[str, Any], text: str) -> str:
    """The refusal `code` with its values in the page's language; `text` where the page has no words."""
    return t(f"register.problem.{code}", text, **_worded(tables, t, {k: str(v) for k, v in values.items()}))


def _worded(tables: dict[str, Any], t: Translator, values: dict[str, str]) -> dict[str, str]:
    """A refusal's values as the page shows them: field headings, classes and fuels in its language."""
    names = tables.get("header_names", {})
    out = dict(values)
    if "header" in out:
        name = names.get(out["header"])
        out["header"] = t(f"register.field.{name}", out["header"]) if name else out["header"]
    if "columns" in out:
        out["columns"] = ", ".join(
            t(f"register.field.{names[c]}", c) if c in names else c for c in out["columns"].split(", ")
        )
    if "problem" in out:  # hub.util's plate or VIN sentence inside the register's
        out["problem"] = in_words(tables, t, out["problem"])
    if "fuel" in out:
        out["fuel"] = t(f"fuel.{out['fuel']}", out["fuel"])
    if "vclass" in out:
        out["vclass"] = t(f"register.class.{out['vclass']}", out["vclass"])
    return out
