"""Flask commands: `db`, `demo`, `i18n`, `audit`, `notify`. They call the same services as the views.

Each command is one unit of work, as a request is (`unit_of_work`): it commits once at the end when it succeeds
and rolls back when it fails; nothing in it commits on its own.
"""

from __future__ import annotations

import sys
from functools import wraps

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup, with_appcontext

from portal import db


def unit_of_work(command):
    """The command boundary: commit the command's work once when it returns, roll it back when it fails."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        g.unit_of_work = True
        ok = False
        try:
            result = command(*args, **kwargs)
            ok = True
            return result
        finally:
            g.pop("unit_of_work", None)
            db.end_unit_of_work(ok=ok)

    return wrapper


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(daily_command)
    from portal.cli.i18n import i18n_cli

    app.cli.add_command(i18n_cli)


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@unit_of_work
def db_upgrade() -> None:
    """Create or upgrade the schema to the latest migration."""
    from portal import policies
    from portal.migrations import upgrade

    upgrade(current_app.extensions["db_engine"])
    added = policies.load(db.session)
    click.echo(f"Database is at the latest schema; {added} new policy pack(s) loaded.")


@db_cli.command("revision")
@click.argument("message")
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from portal.migrations import revision

    revision(current_app.extensions["db_engine"], message)


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds borrowers.")
@click.option("--extra", default=300, show_default=True, help="How many extra borrowers to generate.")
@unit_of_work
def demo_command(if_empty: bool, extra: int) -> None:
    """Build the demo data set through the services, relative to the business date."""
    from portal.demo.cases import build_cases
    from portal.demo.world import agent_calls, build_demo, has_data, sign_ins

    if if_empty and has_data(db.session):
        click.echo("Demo data already present.")
    else:
        click.echo(build_demo(db.session, extra_borrowers=extra))
        click.echo(build_cases(db.session))
        agent_calls(db.session)
    click.echo(sign_ins())


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the audit trail; exit 1 and name the rows when it does not hold."""
    from portal.core import audit

    breaks = audit.verify(db.session)
    if not breaks:
        click.echo("Audit trail intact.")
        return
    for item in breaks:
        click.echo(f"row {item.event_id}: {item.problem}", err=True)
    sys.exit(1)


notify_cli = AppGroup("notify", help="The notification outbox.")


@notify_cli.command("send")
@unit_of_work
def notify_send() -> None:
    """Deliver every message whose time has come (quiet hours hold messages until 08:00)."""
    from portal.core import outbox

    count = outbox.deliver_due(db.session)
    click.echo(f"Sent {count} message(s).")


@click.command("daily")
@with_appcontext
@unit_of_work
def daily_command() -> None:
    """The day's housekeeping: expire unanswered offers, mark plans broken or completed, purge old evidence."""
    from portal.applications import decisions, evidence
    from portal.clock import business_date

    today = business_date()
    expired = decisions.expire_offers(db.session, today)
    plans = decisions.check_plans(db.session, today)
    purged = evidence.purge_due(db.session, today)
    click.echo(
        f"{today.isoformat()}: {expired} offer(s) expired, {plans['broken']} plan(s) broken, "
        f"{plans['completed']} completed, {purged} document(s) purged."
    )
