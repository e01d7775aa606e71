"""The restructuring calculator: what each relief option would do to a loan, or exactly why it is not offered.

Four kinds (DESIGN.md "Restructuring options"): an installment plan for the arrears (逾期分期), a term extension
(展期), a seasonal plan (按季還款, rural) and a disaster grace period (寬限期). Each quote carries the whole new
schedule and the figures a borrower compares: the regular payment, total interest and total cost against the
schedule in force, the date the loan is current again, and whether the payment fits the borrower's budget.

Money rules throughout: every line is rounded to the fen half-up, every share of a total comes from
``money.split`` (so the shares add back to the total exactly), and no principal is ever created or lost: the
new schedule's principal is always exactly the principal still unpaid on the schedule in force.

Terms used below:
- *accrued*: what had fallen due by the business date other than principal: unpaid interest, penalty, compound
  interest and charges of the installments due on or before it. Extension, seasonal plan and grace move it
  into ``charges`` of new lines; it is never dropped, even the interest of an installment due today.
- *later charges*: charges an earlier restructuring put on installments due after the business date. They stay
  on their dates under every option, since the borrower already agreed to them.
- *remaining months*: months from the first new due date to the last due date of the schedule in force.

The package, by concern:
- ``facts``: what the calculator is told (``LoanFacts``, ``Terms``), what it answers (``Quote``), its codes and
  limits, and the position every option works from (the schedule in force summarised once);
- ``eligibility``: whether an option is offered at all and why not, its form's bounds, its terms checked and
  its default terms;
- ``plans``: the new schedule each kind builds;
- ``quote``: pricing one option or all of them, and a plan's payments as a person reads them.

Import from ``portal.domain.options``: the names below are its interface.
"""

from __future__ import annotations

from portal.domain.options.eligibility import (
    default_terms,
    disaster_window_opens,
    general_reasons,
    validate_terms,
)
from portal.domain.options.facts import (
    DISASTER_WINDOW_MONTHS,
    LOAN_STATUSES,
    MAX_PAY_DAY,
    REASON_CODES,
    SEASONAL_MIN_MONTHS,
    LoanFacts,
    Quote,
    Terms,
    extension_cap,
)
from portal.domain.options.quote import quote, quote_all, story_of
from portal.domain.policy import OPTION_KINDS, PLAN_CEILING_MONTHS

__all__ = [
    "DISASTER_WINDOW_MONTHS",
    "LOAN_STATUSES",
    "MAX_PAY_DAY",
    "OPTION_KINDS",
    "PLAN_CEILING_MONTHS",
    "REASON_CODES",
    "SEASONAL_MIN_MONTHS",
    "LoanFacts",
    "Quote",
    "Terms",
    "default_terms",
    "disaster_window_opens",
    "extension_cap",
    "general_reasons",
    "quote",
    "quote_all",
    "story_of",
    "validate_terms",
]
