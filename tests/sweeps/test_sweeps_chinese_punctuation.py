"""Chinese pages use full-width punctuation and never nest brackets: every page of the catalog, in Simplified and
Traditional Chinese, as the page's visible text reads (the catalogs' own check is tests/i18n; this one also
sees punctuation that templates put around translated words and figures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers.pages import visible_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "i18n"))
from test_i18n_chinese_punctuation import ascii_punctuation_next_to_chinese, nested_brackets  # noqa: E402

pytestmark = pytest.mark.page_sweep  # every page's wording and headers: SQLite only (Makefile)


def punctuation_on(html: str) -> dict[str, list[str]]:
    found = {}
    for text in visible_text(html, "zh"):
        wrong = ascii_punctuation_next_to_chinese(text)
        if nested_brackets(text):
            wrong.append("nested brackets")
        if wrong:
            found[text[:120]] = wrong
    return found


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_chinese_pages_use_full_width_punctuation_and_no_nested_brackets(site, lang):
    left = {}
    for visit in site.visits:
        response = site.client(visit.login, lang).get(visit.url)
        found = punctuation_on(response.get_data(as_text=True))
        if found:
            left[f"{visit.name} {visit.url}"] = found

    assert left == {}, (
        f"{len(left)} pages with ASCII punctuation or nested brackets in {lang}:\n"
        + "\n".join(f"{page}: {found}" for page, found in left.items())
    )
