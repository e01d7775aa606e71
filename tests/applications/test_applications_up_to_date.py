"""A borrower who is up to date (13800000003) asks for help before falling behind: no step asks about, offers a
plan for, or shows a figure of arrears they do not have."""

from __future__ import annotations

import re

import pytest

from tests.helpers.applications import (
    hardship_data,
    loan_number,
    reference_of,
    signed_in,
    start,
    submit_budget,
    text,
)
from tests.helpers.pages import visible_text

UP_TO_DATE = "13800000003"
ARREARS_WORDS = {
    "en": re.compile(r"overdue|arrears|behind", re.I),
    "zh_Hans": re.compile(
        r"逾期|拖欠"
    ),  # not 欠款 alone: "其他欠款" is the borrower's other debts, rightly asked
    "zh_Hant": re.compile(r"逾期|拖欠"),
}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_an_up_to_date_borrower_is_not_asked_about_arrears_on_any_step(demo, lang):
    client = signed_in(demo, UP_TO_DATE)
    client.submit("/language", {"lang": lang, "next": "/"}, page="/")
    reference = reference_of(start(client, loan_number(demo, UP_TO_DATE)))
    base = f"/applications/{reference}"
    pages = {"hardship": client.get(f"{base}/hardship").get_data(as_text=True)}
    client.submit(f"{base}/hardship", hardship_data(), page=f"{base}/hardship")
    submit_budget(client, base)
    for step in ("money", "evidence", "options"):
        pages[step] = client.get(f"{base}/{step}").get_data(as_text=True)

    found = {
        step: [t for t in visible_text(html, lang) if ARREARS_WORDS[lang].search(t)]
        for step, html in pages.items()
    }
    assert {step: texts for step, texts in found.items() if texts} == {}
    assert (
        text(demo, "You are up to date on this loan. These plans change the payments still to come.", lang)
        in (pages["options"])
    )
