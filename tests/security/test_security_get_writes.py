"""No GET changes data: every GET route of the app, called by every role with real ids (and hostile query
parameters), leaves every table exactly as it was; the only rows a GET may add are viewings (who looked at which
borrower's data is recorded, SECURITY.md), in their own record off the audit chain."""

from __future__ import annotations

from sqlalchemy import select

from portal.db import Base
from tests.helpers.security import ROLES, arrange_ids, database, role_client, url_for_rule

ALLOWED_NEW_AUDIT = ("case.viewed", "evidence.viewed")
VIEWINGS = "audit_views"


def _snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table (audit rows apart), in primary-key order."""
    with database(app) as session:
        snapshot = {}
        for table in Base.metadata.sorted_tables:
            if table.name == VIEWINGS:
                continue
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
        return snapshot


def _audit(app) -> list[dict]:
    with database(app) as session:
        table = Base.metadata.tables[VIEWINGS]
        return [dict(row._mapping) for row in session.execute(select(table).order_by(table.c.id)).all()]


def test_no_get_by_anyone_changes_anything_but_the_viewing_record(demo, app):
    ids = arrange_ids(app)
    clients = {role: role_client(app, role) for role in ROLES}
    rules = sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods), key=lambda r: r.rule)
    assert len(rules) >= 20
    before, audit_before = _snapshot(app), _audit(app)
    tried = 0

    for rule in rules:
        url = url_for_rule(app, rule, ids)
        for role, client in clients.items():
            for query in ("", "?lang=en&next=//evil.example&page=2&sort=risk&q=%27"):
                status = client.get(url + query).status_code
                assert status < 500, f"GET {url}{query} as {role}: {status}"
                tried += 1

    after = _snapshot(app)
    changed = {name: (rows, after[name]) for name, rows in before.items() if after[name] != rows}
    assert changed == {}, f"a GET changed these tables: {sorted(changed)}"
    audit_after = _audit(app)
    assert (
        audit_after[: len(audit_before)] == audit_before
    )  # nothing earlier changed (the chain: no row at all)
    new_actions = {row["action"] for row in audit_after[len(audit_before) :]}
    assert new_actions <= set(ALLOWED_NEW_AUDIT), new_actions
    assert "case.viewed" in new_actions  # the record of viewing is there: the sweep did reach the case pages
    assert tried >= len(rules) * len(ROLES) * 2
