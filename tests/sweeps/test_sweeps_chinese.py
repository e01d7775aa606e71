"""No English left on a Chinese page: every page of the catalog, in Simplified and Traditional Chinese, for
urban and rural borrowers, staff of each role and anonymous visitors.

The page's visible text is what counts (text outside scripts and styles, plus the title, alt, aria-label and
placeholder attributes and the words on input buttons); parts marked as another language (the switcher's
"English") are left out. English is judged by `tests.helpers.pages.english_words`, the same rule the browser tests
use; a raw message id (a %(name)s placeholder, a snake_case code) is a failure too.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.pages import english_words, raw_message_ids, visible_text

pytestmark = pytest.mark.page_sweep  # every page's wording and headers: SQLite only (Makefile)

HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant"}


def english_on(html: str, lang: str) -> dict[str, list[str]]:
    found = {}
    match = re.search(r'<html[^>]*\blang="([^"]+)"', html)
    if not match or match.group(1) != HTML_LANG[lang]:
        return {"<html lang>": [match.group(1) if match else "none"]}
    for text in visible_text(html, "zh"):
        words = english_words(text) + raw_message_ids(text)
        if words:
            found[text[:120]] = words
    return found


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_no_english_on_any_chinese_page(site, lang):
    left = {}
    for visit in site.visits:
        response = site.client(visit.login, lang).get(visit.url)
        assert response.status_code == visit.status, (visit.name, response.status_code)
        found = english_on(response.get_data(as_text=True), lang)
        if found:
            left[f"{visit.name} {visit.url}"] = found

    assert left == {}, f"{len(left)} pages with English in {lang}:\n" + "\n".join(
        f"{page}: {found}" for page, found in left.items()
    )


def test_the_english_check_finds_an_untranslated_string():
    html = '<html lang="zh-Hans"><body><p>您的贷款</p><button>Send my application</button>'
    html += '<p title="Close">关闭</p><span lang="en">English</span><p>DKCC11000001 CNY reviewer1 CN¥1.00</p>'
    html += "<p>%(amount)s</p><script>var notShown = 1;</script></body></html>"

    assert english_on(html, "zh_Hans") == {
        "Send my application": ["Send", "my", "application"],
        "Close": ["Close"],
        "%(amount)s": ["amount", "%(amount)s"],
    }
