"""Messages with placeholders of any name: {key} and {default} are values like the others."""

import json

from hub.ui.i18n import TRANSLATIONS, Translator


def test_a_placeholder_may_be_called_key_or_default() -> None:
    t = Translator({"register.not_found": "没有 {key}（{default}）"}, {"other": "fallback {key}"}, "zh-CN")
    assert t("register.not_found", key="冀B12345", default="默认") == "没有 冀B12345（默认）"
    assert t("other", key="x") == "fallback x"
    assert t("missing", "缺省") == "缺省" and t("missing") == "missing"


def test_both_catalogues_hold_the_same_messages() -> None:
    zh, en = (
        json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("zh-CN", "en")
    )
    assert sorted(set(zh) - set(en)) == []
    # The register names its fields in Chinese itself (register_i18n.py); only English needs them here.
    assert sorted(k for k in set(en) - set(zh) if not k.startswith("register.field.")) == []
