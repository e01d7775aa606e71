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
    from portal.core import audit
    from portal.migrations import upgrade

    upgrade(current_app.extensions["db_engine"])
    added = policies.load(db.session)
    click.echo(f"Database is at the latest schema; {added} new policy pack(s) loaded.")
    legacy = audit.seal_legacy(db.session)
    if legacy:
        click.echo(f"Audit trail: {legacy} row(s) from before audit keys anchored by a keyed row.")


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


def _require_audit_keys() -> None:
    if not current_app.config.get("AUDIT_KEYS"):
        click.echo("PORTAL_AUDIT_KEYS must be set to check or checkpoint the audit trail (README).", err=True)
        sys.exit(1)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the keyed chain of the audit trail against the checkpoint file, and the seals of the viewings; exit 1
    and name the rows when anything does not hold."""
    from portal.core import audit_verify

    _require_audit_keys()
    report = audit_verify.check(db.session, current_app.config)
    if not report.breaks:
        click.echo(
            f"Audit trail intact: {report.rows} row(s) ({report.legacy_rows} from before audit keys), "
            f"{report.checkpoints} checkpoint(s) held, {report.views} viewing(s)."
        )
        return
    for item in report.breaks:
        click.echo(
            item.problem if item.event_id is None else f"row {item.event_id}: {item.problem}", err=True
        )
    click.echo(f"Audit trail NOT intact: {len(report.breaks)} problem(s).", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Append the chain's head (row count and hash, sealed with the key) to the checkpoint file (run on a
    schedule; every commit that writes audit rows adds one too)."""
    from portal.core import audit

    _require_audit_keys()
    if not current_app.config.get("AUDIT_CHECKPOINTS"):
        click.echo("No checkpoint file configured (PORTAL_AUDIT_CHECKPOINTS).", err=True)
        sys.exit(1)
    rows, head = audit.checkpoint(db.session)
    click.echo(f"Checkpoint written: {rows} row(s), head {head[:16]}.")


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
    """The day's housekeeping: expire unanswered offers, mark plans broken or completed, purge old evidence;
    then checkpoint the audit trail."""
    from portal.applications import decisions, evidence
    from portal.clock import business_date
    from portal.core import audit

    today = business_date()
    expired = decisions.expire_offers(db.session, today)
    plans = decisions.check_plans(db.session, today)
    purged = evidence.purge_due(db.session, today)
    db.after_commit(audit.checkpoint)  # the day's head, outside the database, once its work is committed
    click.echo(
        f"{today.isoformat()}: {expired} offer(s) expired, {plans['broken']} plan(s) broken, "
        f"{plans['completed']} completed, {purged} document(s) purged."
    )
