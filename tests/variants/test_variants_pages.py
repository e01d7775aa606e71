"""Rural pages ask fewer questions each: the money step is two pages (income, then spending), the step line counts
seven steps instead of six, and the check page's change links go to the page that asked."""

from __future__ import annotations

import re

import pytest

from portal.domain import hardship
from tests.helpers.variants import RURAL, URBAN, borrower_client, loan_number, path_of, start, text


def _questions(html: str) -> int:
    """Answerable fields on a page: text inputs, selects, text areas, and each radio or checkbox group."""
    form = html[html.index("<main") : html.index("</main>")]
    fields = re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', form)
    return len({name for name in fields if name not in ("csrf_token", "action", "key", "lang", "next")})


def _journey(client, reference: str, variant: str) -> list[tuple[str, str, int]]:
    """(path, step line, questions) of each page a borrower fills in, in order."""
    base = f"/applications/{reference}"
    pages = ["hardship", "money"] + (["spending"] if variant == "rural" else []) + ["evidence", "options"]
    found = []
    for name in pages:
        html = client.get(f"{base}/{name}").get_data(as_text=True)
        line = re.search(r'<p class="step-line">([^<]+)</p>', html).group(1)
        found.append((name, line, _questions(html)))
    return found


def test_rural_has_more_and_shorter_money_pages_than_urban(demo):
    rural = borrower_client(demo, RURAL)
    urban = borrower_client(demo, URBAN)
    rural_pages = _journey(rural, start(rural, loan_number(demo, RURAL), "pages-rural-key-000001"), "rural")
    urban_pages = _journey(urban, start(urban, loan_number(demo, URBAN), "pages-urban-key-000001"), "urban")

    assert [p[0] for p in rural_pages] == ["hardship", "money", "spending", "evidence", "options"]
    assert [p[0] for p in urban_pages] == ["hardship", "money", "evidence", "options"]
    assert [p[1] for p in rural_pages] == [
        text(demo, "Step %(step)d of %(steps)d", step=n, steps=7) for n in range(1, 6)
    ]
    assert [p[1] for p in urban_pages] == [
        text(demo, "Step %(step)d of %(steps)d", step=n, steps=6) for n in range(1, 5)
    ]
    rural_money = dict((p[0], p[2]) for p in rural_pages)
    urban_money = dict((p[0], p[2]) for p in urban_pages)["money"]
    # Rural asks more in all (farm costs) but each page asks fewer than urban's one money page.
    assert rural_money["money"] + rural_money["spending"] > urban_money
    assert max(rural_money["money"], rural_money["spending"]) < urban_money


def test_urban_has_no_spending_page_of_its_own(demo):
    client = borrower_client(demo, URBAN)
    reference = start(client, loan_number(demo, URBAN), "pages-urban-key-000002")

    response = client.get(f"/applications/{reference}/spending")

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}/money"


# Every line of the money pages is filled in; none is entered as 0.
RURAL_ZEROS = {
    **{f"income_{code}": "0" for code in hardship.income_sources_for("rural")},
    **{f"spending_{code}": "0" for code in hardship.spending_for("rural")},
}


def test_rural_income_then_spending_completes_the_budget_and_change_links_go_to_the_right_page(demo):
    client = borrower_client(demo, RURAL)
    reference = start(client, loan_number(demo, RURAL), "pages-rural-key-000002")
    base = f"/applications/{reference}"
    assert path_of(
        client.submit(f"{base}/hardship", {"reasons": ["crop_failure"], "duration": "longer"})
    ) == (f"{base}/money")

    income = client.submit(f"{base}/money", {**RURAL_ZEROS, "income_farming": "5000", "dependants": "3"})
    check = client.get(f"{base}/check").get_data(as_text=True)
    assert path_of(income) == f"{base}/spending"
    assert text(demo, "Fill in your money each month") in check  # half a budget is not a budget

    spending = client.submit(
        f"{base}/spending",
        {**RURAL_ZEROS, "spending_food": "1000", "spending_seed": "300", "other_debt": "0"},
    )
    assert path_of(spending) == f"{base}/evidence"
    client.get(f"{base}/options")
    plan = client.submit(
        f"{base}/plan/installment_plan", {"months": "12", "pay_day": "10", "action": "choose"}
    )
    assert path_of(plan) == f"{base}/check"

    html = client.get(f"{base}/check").get_data(as_text=True)
    links = re.findall(r'<dd class="change"><a href="([^"]+)">', html)
    assert links[3:7] == [
        f"{base}/money?return=check",  # income
        f"{base}/spending?return=check",  # spending
        f"{base}/spending?return=check",  # other debts
        f"{base}/money?return=check",  # dependants
    ]
    # A change of spending from the check page comes back to it, and keeps the income.
    back = client.submit(
        f"{base}/spending?return=check",
        {**RURAL_ZEROS, "spending_food": "1100", "spending_seed": "300", "other_debt": "200"},
        page=f"{base}/spending",
    )
    assert path_of(back) == f"{base}/check"
    again = client.get(f"{base}/money").get_data(as_text=True)
    assert re.search(r'name="income_farming" type="text" value="5000(\.00)?"', again)


@pytest.mark.parametrize(("phone", "hint"), [(RURAL, True), (URBAN, False)])
def test_farm_examples_appear_in_rural_hints_only(demo, phone, hint):
    client = borrower_client(demo, phone)
    reference = start(client, loan_number(demo, phone), f"pages-hint-key-{phone}")
    html = client.get(f"/applications/{reference}/money").get_data(as_text=True)

    farm = text(
        demo, "For example: rice sold after harvest, pigs or chickens sold. A year's sales divided by 12."
    )

    assert (farm in html) is hint
