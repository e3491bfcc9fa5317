"""Messages with placeholders of any name: {key} and {default} are values like the others."""

from hub.ui.i18n import Translator


def test_a_placeholder_may_be_called_key_or_default() -> None:
    t = Translator({"register.not_found": "没有 {key}（{default}）"}, {"other": "fallback {key}"}, "zh-CN")
    assert t("register.not_found", key="冀B12345", default="默认") == "没有 冀B12345（默认）"
    assert t("other", key="x") == "fallback x"
    assert t("missing", "缺省") == "缺省" and t("missing") == "missing"
