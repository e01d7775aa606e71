"""SQL statements per page: at most 10 for any page, and the same with 50 or 550 borrowers in the database."""

from __future__ import annotations

from tests.helpers.bench_check import add_crowd, measure, people, targets

LIMIT = 10


def test_every_page_needs_at_most_ten_statements_whatever_the_number_of_rows(app, database_url):
    info, templates = people(database_url)
    add_crowd(database_url, info, templates, 50, seed=1)
    small_targets = targets(database_url, info)
    reviewer = measure.reviewer_client(app)
    small = {
        **measure.staff_statements(app, small_targets, reviewer),
        **{k: v for k, v in measure.borrower_measures(app, small_targets).items()},
    }

    add_crowd(database_url, info, templates, 500, seed=2)
    large_targets = targets(database_url, info)
    assert large_targets["open_applications"] > small_targets["open_applications"] + 400
    assert large_targets["queue_page"] > small_targets["queue_page"]  # a later page of a longer queue
    large = {
        **measure.staff_statements(app, large_targets, reviewer),
        **{k: v for k, v in measure.borrower_measures(app, large_targets).items()},
    }

    assert set(small) == set(large)
    counts = {page: (small[page]["statements"], large[page]["statements"]) for page in small}
    grew = {page: pair for page, pair in counts.items() if pair[0] != pair[1]}
    too_many = {page: pair for page, pair in counts.items() if max(pair) > LIMIT}
    assert not grew, f"statements grow with the rows: {grew}"
    assert not too_many, f"more than {LIMIT} statements: {too_many}"
    assert all(large[page]["status"] in (200, 303) for page in large), {
        p: v["status"] for p, v in large.items()
    }
    assert sum(1 for page in large.values() if page["status"] == 200) >= 15  # the pages really rendered
