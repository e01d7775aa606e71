"""The page catalog covers every GET page of the app, and every page in it opens for its role."""

from __future__ import annotations

from tests.helpers.pages import EXCLUDED, ROLES, uncatalogued_get_endpoints


def test_every_get_route_is_in_the_catalog_or_excluded_with_a_reason(site):
    missing = uncatalogued_get_endpoints(site.app, site.visits)

    assert not missing, (
        f"GET routes with no page in tests/helpers/pages.py (add a builder, or EXCLUDED): {missing}"
    )
    routes = {rule.endpoint for rule in site.app.url_map.iter_rules()}
    assert set(EXCLUDED) <= routes, f"excluded but no longer in the app: {set(EXCLUDED) - routes}"
    assert all(len(reason) > 20 for reason in EXCLUDED.values())


def test_the_catalog_has_every_role_and_both_variants_of_borrower_pages(site):
    roles = {visit.role for visit in site.visits}
    assert roles == set(ROLES)
    borrower_endpoints = {
        variant: {v.endpoint for v in site.visits if v.variant == variant} for variant in ("urban", "rural")
    }
    # The same pages in both variants, but for what only one variant offers.
    rural_only = {"borrower.spending_step", "borrower.help_visit"}
    urban_only = {"borrower.help_callback"}
    assert borrower_endpoints["urban"] - urban_only == borrower_endpoints["rural"] - rural_only
    assert rural_only <= borrower_endpoints["rural"] and urban_only <= borrower_endpoints["urban"]
    statuses = {v.name.split()[1] for v in site.visits if v.name.startswith("application ")}
    assert {
        "draft",
        "submitted",
        "in_review",
        "info_requested",
        "approved",
        "countered",
        "active",
    } <= statuses | {"draft"}, statuses


def test_every_page_of_the_catalog_opens_for_its_role(site):
    wrong = {}
    for visit in site.visits:
        response = site.client(visit.login).get(visit.url)
        if response.status_code != visit.status:
            wrong[visit.name] = (visit.url, response.status_code)

    assert wrong == {}
