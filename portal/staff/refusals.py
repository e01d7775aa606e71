"""Why a decision was refused, in staff words.

The option rules' reasons (`labels.UNAVAILABLE`) speak to the borrower ("open to you", "please call your
branch"); a reviewer on the case page is told the same fact as a fact about the loan, and what they can do.
"""

from __future__ import annotations

from portal.i18n import labels
from portal.i18n import lazy_gettext as _l

# The option rules' reasons, for staff.
UNAVAILABLE = {
    "loan_closed": _l("The loan is closed: no plan can be given on it."),
    "loan_charged_off": _l("The loan has been written off: no plan can be given on it here."),
    "loan_in_litigation": _l("The loan is in court proceedings: no plan can be given on it here."),
    "open_application": _l("The loan has another open application."),
    "restructuring_cap_reached": _l("The loan has had the most restructurings the policy allows."),
    "arrears_below_minimum": _l("The loan's arrears are below the policy's minimum for an installment plan."),
    "not_offered_in_variant": _l("This plan is not in the application's policy pack."),
    "extension_cap_reached": _l("The loan cannot be extended further (the legal ceiling is reached)."),
    "loan_matured": _l(
        "The loan has matured, so the plan asked for (an extension) cannot be given. Send a counter-offer "
        "with a plan the loan can still have, or reject."
    ),
    "no_disaster_declared": _l("No disaster is declared for the borrower's area: no disaster grace."),
    "no_income_month_before_maturity": _l("None of the chosen income months falls before the loan's end."),
    "not_in_arrears": _l("Nothing on the loan is overdue."),
    "option_unavailable": _l("This plan cannot be given on this loan today."),
    "offer_expired": _l("The offer has expired."),
    "no_principal_outstanding": _l("The loan has no principal left to spread."),
    "invalid_terms": _l("These terms do not work for this plan: change them and preview again."),
    "proposal_monthly_too_large": _l(
        "The borrower's proposed amount is now more than everything owed on the loan."
    ),
}

# Refusals of the case's holding and decisions that labels.ERRORS does not name.
ERRORS = {
    "cannot_hold": _l(
        "That member of staff cannot be given this case (a second approval or an appeal needs a senior "
        "reviewer who took no part; nobody decides what they submitted)."
    ),
    "already_holds": _l("That member of staff already holds this case."),
}


def staff_message(code: str) -> str:
    """The staff-worded reason for a refused decision."""
    found = ERRORS.get(code) or labels.ERRORS.get(code) or UNAVAILABLE.get(code)
    return str(found if found is not None else labels.ERRORS["not_decidable"])
