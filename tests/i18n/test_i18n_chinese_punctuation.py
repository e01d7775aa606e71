"""Chinese text uses full-width punctuation (，。：；（）！？) and never nests brackets (STYLE.md), in every entry of
the zh_Hans and zh_Hant catalogs, rural wording included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parents[2] / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%%|\{[a-z_0-9]+\}")
CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”「」]"
ASCII_NEXT_TO_CJK = re.compile(rf"(?<={CJK})\s*([,:;()!?])|([,:;()!?])(?=\s*{CJK})")
OPEN, CLOSE = "（(【[", "）)】]"  # 「」 and “” are quotation marks, not brackets


def _texts(lang: str):
    with open(CATALOGS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=lang)
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                yield (message.context or "") + "|" + key, PLACEHOLDER.sub("X", text)


def ascii_punctuation_next_to_chinese(text: str) -> list[str]:
    """The ASCII , : ; ( ) ! ? that touch a Chinese character (or full-width punctuation) in ``text``."""
    return [m.group(1) or m.group(2) for m in ASCII_NEXT_TO_CJK.finditer(text)]


def nested_brackets(text: str) -> bool:
    """True when a bracket opens inside another that is still open."""
    depth = 0
    for char in text:
        if char in OPEN:
            depth += 1
            if depth > 1:
                return True
        elif char in CLOSE:
            depth = max(0, depth - 1)
    return False


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("逾期天数:30", [":"]),
        ("本金(元)", ["(", ")"]),
        ("好的!", ["!"]),
        ("本金（元）", []),
        ("贷款 X: 本金", [":"]),  # a space between does not make it English
        ("M2: 31 to 60", []),
    ],
)
def test_the_check_finds_ascii_punctuation_beside_chinese(text, found):
    assert ascii_punctuation_next_to_chinese(text) == found


def test_the_check_finds_nested_brackets():
    assert nested_brackets("（按月（每月10号））")
    assert nested_brackets("（见【说明】）")
    assert not nested_brackets("（搜索「验证器」）")  # quotation marks inside brackets are fine
    assert not nested_brackets("（按月）和（每月10号）")


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogs_use_full_width_punctuation(lang):
    bad = {key: ascii_punctuation_next_to_chinese(text) for key, text in _texts(lang)}
    assert {key: found for key, found in bad.items() if found} == {}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_chinese_catalogs_never_nest_brackets(lang):
    assert [key for key, text in _texts(lang) if nested_brackets(text)] == []
