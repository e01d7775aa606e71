"""Variant wording lives in the same catalogs (msgctxt "rural"); a missing or empty variant entry falls back to the
base translation, never to an empty string or to the English message id on a Chinese page."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from portal import i18n
from portal.cli.i18n import extract_catalog
from tests.helpers.variants import RURAL, URBAN, borrower_client, text


class FakeTranslations:
    """A catalog with chosen entries: {(context or None, msgid): msgstr}."""

    def __init__(self, entries: dict):
        self.entries = entries

    def upgettext(self, context, message):
        return self.entries.get((context, message), message)

    def ugettext(self, message):
        return self.entries.get((None, message), message)


@pytest.fixture
def catalog(monkeypatch):
    def use(entries: dict):
        monkeypatch.setattr(i18n, "get_translations", lambda: FakeTranslations(entries))

    return use


def test_the_variant_entry_wins_when_there_is_one(app, catalog):
    catalog({(None, "Need help?"): "需要帮助？", ("rural", "Need help?"): "有难处？找我们"})
    with app.test_request_context():
        assert i18n.vgettext("Need help?", "rural") == "有难处？找我们"
        assert i18n.vgettext("Need help?", "urban") == "需要帮助？"


def test_a_missing_variant_entry_falls_back_to_the_base_translation_not_the_msgid(app, catalog):
    catalog({(None, "Need help?"): "需要帮助？"})
    with app.test_request_context():
        assert i18n.vgettext("Need help?", "rural") == "需要帮助？"


def test_an_empty_variant_entry_falls_back_to_the_base_translation(app, catalog):
    catalog({(None, "Need help?"): "需要帮助？", ("rural", "Need help?"): ""})
    with app.test_request_context():
        assert i18n.vgettext("Need help?", "rural") == "需要帮助？"


def test_with_nothing_translated_the_message_itself_shows_never_an_empty_string(app, catalog):
    catalog({(None, "Need help?"): ""})
    with app.test_request_context():
        assert i18n.vgettext("Need help?", "rural") == "Need help?"


def test_placeholders_are_filled_in_the_variant_wording_and_escaped_in_templates(app, catalog):
    catalog({("rural", "Loan %(number)s."): "贷款%(number)s。"})
    with app.test_request_context():
        assert i18n.vgettext("Loan %(number)s.", "rural", number="A1") == "贷款A1。"
        assert (
            str(i18n.template_vgettext("Loan %(number)s.", variant="rural", number="<b>"))
            == "贷款&lt;b&gt;。"
        )


def test_the_real_catalogs_give_rural_wording_in_each_language(app):
    with app.test_request_context():
        for lang, rural, urban in (
            ("zh_Hans", "算算还剩多少钱", "算一算还剩多少"),
            ("zh_Hant", "算算還剩多少錢", "算一算還剩多少"),
            ("en", "Add it up", "Work out what is left"),
        ):
            with force_locale(lang):
                assert i18n.vgettext("Work out what is left", "rural") == rural
                assert i18n.vgettext("Work out what is left", "urban") == urban


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_every_rural_entry_reads_differently_from_its_base_entry(lang):
    from babel.messages.pofile import read_po

    from portal.cli.i18n import _po_path

    with open(_po_path(lang), "rb") as handle:
        catalog = read_po(handle, locale=lang)
    base = {m.id: m.string for m in catalog if m.context is None}
    same = [m.id for m in catalog if m.context == "rural" and m.id in base and m.string == base[m.id]]

    assert same == []


def test_extract_writes_a_rural_entry_beside_the_base_entry_of_every_variant_message():
    keys = {(m.context, m.id) for m in extract_catalog() if isinstance(m.id, str)}

    for msgid in ("Need help?", "Work out what is left", "Choose all that apply.", "Getting help"):
        assert ("rural", msgid) in keys and (None, msgid) in keys, msgid


def test_no_rural_entry_in_a_chinese_catalog_is_english(app):
    from babel.messages.pofile import read_po

    from portal.cli.i18n import _po_path

    for lang in ("zh_Hans", "zh_Hant"):
        with open(_po_path(lang), "rb") as handle:
            catalog = read_po(handle, locale=lang)
        rural = [m for m in catalog if m.context == "rural" and m.id]
        assert len(rural) >= 20
        latin = [m.id for m in rural if not re.search(r"[\u4e00-\u9fff]", m.string)]
        assert latin == [], lang


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_dashboard_reads_differently_for_rural_and_urban(demo, lang):
    pages = {}
    for phone in (RURAL, URBAN):
        client = borrower_client(demo, phone)
        client.submit("/language", {"lang": lang, "next": "/"}, page="/")
        pages[phone] = client.get("/").get_data(as_text=True)

    rural_line = text(demo, "To bring this loan up to date, pay", lang, variant="rural")
    urban_line = text(demo, "To bring this loan up to date, pay", lang)

    assert rural_line != urban_line
    assert rural_line in pages[RURAL] and urban_line not in pages[RURAL]
    assert urban_line in pages[URBAN] and rural_line not in pages[URBAN]
    assert 'class="lang-' + lang + ' variant-rural borrower"' in pages[RURAL]
    assert 'class="lang-' + lang + ' variant-urban borrower"' in pages[URBAN]


def test_rural_pages_have_bigger_type():
    from portal.config import ROOT

    css = (ROOT / "static" / "portal.css").read_text()

    assert "body{margin:0;color:var(--ink);background:var(--bg);font:18px/1.5" in css
    assert ".variant-rural.borrower{font-size:20px}" in css
