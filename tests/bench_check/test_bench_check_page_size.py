"""Every borrower page, with portal.css and its scripts, stays under 50 KB uncompressed, even for a 360-month loan."""

from __future__ import annotations

from tests.helpers.bench_check import add_crowd, measure, people, targets

LIMIT = 50_000  # bytes, uncompressed


def test_every_borrower_page_of_a_30_year_loan_is_under_50_kb_with_its_css_and_scripts(app, database_url):
    info, templates = people(database_url)
    add_crowd(database_url, info, templates, 50, seed=1)
    pages = measure.borrower_measures(app, targets(database_url, info))

    rendered = {name: page for name, page in pages.items() if page["status"] == 200}
    # A rural borrower where a flood was declared: every plan is open, so every step renders.
    assert rendered.keys() == pages.keys(), {name: page["status"] for name, page in pages.items()}
    assert all("/static/portal.css" in page["assets"] for page in rendered.values())
    too_big = {name: page["total"] for name, page in rendered.items() if page["total"] >= LIMIT}
    assert not too_big, too_big


def test_the_loan_page_of_a_30_year_loan_lists_what_is_due_and_links_to_every_installment(app, database_url):
    info, templates = people(database_url)
    add_crowd(database_url, info, templates, 50, seed=1)
    found = targets(database_url, info)
    client = app.test_client()
    measure.sign_in(client, "/sign-in", phone=found["long_phone"])

    html = client.get(f"/loans/{found['long_loan']}").get_data(as_text=True)
    schedule = html[html.index('id="schedule-title"') : html.index('id="payments-title"')]
    assert schedule.count('<tr class="row-') == 3 + 12  # three overdue, then the next twelve
    assert "installments are paid and not listed here" in html or "期，未在此列出" in html
    assert f"/loans/{found['long_loan']}/schedules/1" in schedule

    full = [
        client.get(f"/loans/{found['long_loan']}/schedules/1?page={n}").get_data(as_text=True) for n in (1, 6)
    ]
    tables = [page[page.index('class="responsive schedule"') :].split("</table>")[0] for page in full]
    assert (
        tables[0].count("<tr>") - 1 == 60 and tables[1].count("<tr>") - 1 == 60
    )  # 360 lines, six pages of 60
    assert 'aria-current="page"' in full[1]
