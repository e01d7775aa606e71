"""What every page of the application journey shares: its steps, who acts, the application in hand, Back."""

from __future__ import annotations

from flask import abort, g, redirect, request, url_for

from portal import db
from portal.applications import queries
from portal.auth import access
from portal.domain import proposal as proposals

STEPS = ("hardship", "money", "evidence", "options", "plan", "check")
# Rural pages ask fewer questions each: income and spending are two pages.
RURAL_STEPS = ("hardship", "money", "spending", "evidence", "options", "plan", "check")


def steps_for(variant: str) -> tuple[str, ...]:
    """The journey's pages in the application's variant."""
    return RURAL_STEPS if variant == "rural" else STEPS


def acting() -> dict:
    """Who acts and how: the borrower online, or an agent for them by phone (actor, on_behalf_of, channel)."""
    return access.acting().fields


def by_agent() -> bool:
    """Whether a phone agent is acting for the borrower on this request."""
    return access.acting().by_agent


def own_application(reference: str):
    """An application of the borrower this request is about, or 404."""
    application = queries.borrower_application(db.session, access.acting().borrower.id, reference)
    if application is None:
        abort(404)
    # An application's pages keep the variant it was started under, even if staff change the borrower's.
    g.page_variant = application.variant
    return application


def editable_application(reference: str):
    """A draft of the signed-in borrower's, or a redirect to its page when it is no longer a draft."""
    application = own_application(reference)
    if application.status != "draft":
        return application, redirect(url_for("borrower.application", reference=reference), code=303)
    return application, None


def step_context(name: str, application) -> dict:
    """The step line's numbers and the Back link's address for one page of the journey."""
    steps = steps_for(application.variant)
    return {"step": steps.index(name) + 1, "steps": len(steps), "back": back_url(name, application)}


def back_url(name: str, application) -> str:
    """Where Back goes from a step: the page before it, or the check page when the borrower came from there
    to change an answer. The first step goes back to the start page, which goes back to the loan."""
    reference = application.reference
    if request.args.get("return") == "check" and name != "check":
        return url_for("borrower.check_step", reference=reference)
    if name == "check":
        if application.option == proposals.PROPOSAL:
            return url_for("borrower.propose_step", reference=reference)
        if application.option:
            return url_for("borrower.plan_step", reference=reference, kind=application.option)
        return url_for("borrower.options_step", reference=reference)
    if name in ("plan", "proposal"):
        return url_for("borrower.options_step", reference=reference)
    steps = steps_for(application.variant)
    index = steps.index(name)
    if index == 0:
        return url_for("borrower.start_page", loan_number=application.loan.number)
    return url_for(f"borrower.{steps[index - 1]}_step", reference=reference)
