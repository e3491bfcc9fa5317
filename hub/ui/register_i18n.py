"""The register's field lists in the page's language. The register answers with its Chinese headers and
code lists (they are also the import files' headings); an English page shows them in English, with the
Chinese label where no translation is known."""

from __future__ import annotations

from typing import Any

from .i18n import Translator

# Code lists by field kind -> the message prefix that names their codes.
_CODES = {
    "colour": "colour.", "fuel": "fuel.", "stage": "stage.", "machine_stage": "stage.",
    "whitelist": "register.whitelist.", "bool": "register.bool.", "usable": "register.bool.",
}  # fmt: skip


def tables_in(tables: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The tables of `vehicles.fields` with classes, headers and code lists translated (pure)."""
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
