"""The start form every page may show (a fresh idempotency key each time), as an app-wide template global."""

from __future__ import annotations

from portal.borrower import bp
from portal.borrower.forms import StartForm
from portal.web import page_cache


def new_start_form() -> StartForm:
    """A start form with a fresh idempotency key."""
    form = StartForm(formdata=None)
    form.key.data = page_cache.fresh_token()
    return form


@bp.app_context_processor
def _start_form():
    return {"new_start_form": new_start_form}
