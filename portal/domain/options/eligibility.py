"""Whether an option is offered for a loan and exactly why not; the bounds of its form, its terms checked, and
the terms shown before the borrower chooses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.domain.money import round_money
from portal.domain.options.facts import (
    DISASTER_WINDOW_MONTHS,
    MAX_PAY_DAY,
    REASON_CODES,
    SEASONAL_MIN_MONTHS,
    STATUS_REASONS,
    ZERO,
    LoanFacts,
    Position,
    Terms,
    summarise,
)
from portal.domain.policy import OPTION_KINDS, PLAN_CEILING_MONTHS, Policy
from portal.domain.schedule import add_months


def general_reasons(facts: LoanFacts, policy: Policy) -> tuple[str, ...]:
    """Return the reasons no option at all is available for the loan, in ``REASON_CODES`` order."""
    reasons = []
    if facts.status in STATUS_REASONS:
        reasons.append(STATUS_REASONS[facts.status])
    if facts.has_open_application:
        reasons.append("open_application")
    if facts.restructurings >= policy.max_restructurings:
        reasons.append("restructuring_cap_reached")
    return tuple(reasons)


def disaster_window_opens(as_of: date) -> date:
    """The earliest declaration date whose grace window still covers ``as_of``: 12 calendar months before it
    (clamped to the month's end). The one statement of the window: the database look-up starts here too."""
    return add_months(as_of, -DISASTER_WINDOW_MONTHS)


def _in_disaster_window(facts: LoanFacts) -> bool:
    """True when a disaster was declared on or before ``as_of`` and at most 12 months before it."""
    declared = facts.disaster_declared_on
    return declared is not None and disaster_window_opens(facts.as_of) <= declared <= facts.as_of


def reasons_against(kind: str, facts: LoanFacts, policy: Policy, position: Position) -> tuple[str, ...]:
    """Return why ``kind`` is unavailable whatever the terms; () when it can be quoted."""
    reasons = list(general_reasons(facts, policy))
    total = facts.report.total_to_bring_current
    if kind == "installment_plan":
        # Nothing overdue is its own, plainer message; "below the minimum" is for small but real arrears.
        if total == 0:
            reasons.append("not_in_arrears")
        elif total < policy.min_arrears:
            reasons.append("arrears_below_minimum")
    elif position.unpaid_principal == 0:
        reasons.append("no_principal_outstanding")
    if kind not in policy.options:
        reasons.append("not_offered_in_variant")
    if kind in ("extension", "grace") and position.extension_room < 1:
        reasons.append("extension_cap_reached")
    if kind == "extension" and facts.as_of > facts.maturity:
        reasons.append("loan_matured")
    if kind == "grace" and not _in_disaster_window(facts):
        reasons.append("no_disaster_declared")
    return tuple(sorted(reasons, key=REASON_CODES.index))


def seasonal_horizon(position: Position) -> int:
    """Months a seasonal plan spans: the remaining months, stretched toward a year as far as the cap allows.

    A year lets every chosen harvest month fall in the plan; the stretch counts as extension, so when the cap
    leaves no room a short horizon may miss the chosen months ("no_income_month_before_maturity").
    """
    base = position.remaining_months
    if base >= SEASONAL_MIN_MONTHS:
        return base
    return max(base, min(SEASONAL_MIN_MONTHS, base + max(position.extension_room, 0)))


def _line_count(method: str, months: int) -> int:
    """How many installments ``schedule.build_schedule`` makes for ``months`` months with ``method``."""
    return 1 if method == "bullet" else months


def _spread_max(kind: str, facts: LoanFacts, policy: Policy, position: Position, months: int | None) -> int:
    """The most installments accrued amounts may be spread over: the policy's limit, within the lines."""
    remaining = max(position.remaining_months, 1)
    if kind == "extension":
        lines = _line_count(
            facts.method, remaining + (months if isinstance(months, int) and months > 0 else 1)
        )
    else:
        lines = _line_count(facts.method, remaining)
    return min(policy.extension_charges_spread_max, lines)


def limits_of(kind: str, facts: LoanFacts, policy: Policy, position: Position) -> dict:
    """The bounds the option's form needs, whatever terms are chosen."""
    if kind == "installment_plan":
        total = facts.report.total_to_bring_current
        return {
            "months_min": policy.plan_months_min,
            "months_max": min(policy.plan_months_max, PLAN_CEILING_MONTHS),
            "pay_day_min": 1,
            "pay_day_max": MAX_PAY_DAY,
            "upfront_max": max(total - Decimal("0.01"), ZERO),
            "upfront_due_days": policy.upfront_due_days,
        }
    if kind == "extension":
        return {
            "months_min": 1,
            "months_max": max(position.extension_room, 0),
            "spread_max": _spread_max(kind, facts, policy, position, None),
        }
    if kind == "grace":
        return {
            "months_min": 1,
            "months_max": max(min(policy.grace_max_months, position.extension_room), 0),
            "spread_max": _spread_max(kind, facts, policy, position, None),
        }
    return {
        "min_income_months": 1,
        "max_income_months": policy.seasonal_max_income_months,
        "horizon_months": seasonal_horizon(position),
    }


def _is_int(value: object) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_kind(kind: str) -> None:
    """Raise ValueError for an unknown option kind: a programming error, not an unavailable option."""
    if kind not in OPTION_KINDS:
        raise ValueError(f"unknown option kind {kind!r}; expected one of {', '.join(OPTION_KINDS)}")


def validate_terms(kind: str, facts: LoanFacts, policy: Policy, terms: Terms) -> dict[str, str]:
    """Check ``terms`` for ``kind`` against the loan and the policy; return field name -> error code.

    Codes: months_required, months_out_of_range, upfront_invalid (negative or beyond the fen),
    upfront_too_large (not below the total to bring current), upfront_due_passed (the upfront date given is
    on or before ``as_of``: it would not fall after acceptance), upfront_due_too_late (more than the
    policy's ``upfront_due_days`` after ``as_of``), pay_day_out_of_range, spread_out_of_range,
    income_months_required, income_months_invalid (outside 1-12 or repeated), too_many_income_months.
    Fields the kind does not use are ignored. An empty dict means ``quote`` accepts the terms.
    """
    check_kind(kind)
    return validate_terms_at(kind, facts, policy, terms, summarise(facts))


def validate_terms_at(
    kind: str, facts: LoanFacts, policy: Policy, terms: Terms, position: Position
) -> dict[str, str]:
    """``validate_terms`` on a position already summarised: each field the kind uses, checked in turn."""
    limits = limits_of(kind, facts, policy, position)
    errors: dict[str, str] = {}
    if kind in ("installment_plan", "extension", "grace"):
        errors |= _months_errors(terms, limits)
    if kind == "installment_plan":
        errors |= _installment_plan_errors(facts, policy, terms)
    if kind in ("extension", "grace"):
        most = _spread_max(kind, facts, policy, position, terms.months)
        if not _is_int(terms.spread_charges) or not 1 <= terms.spread_charges <= most:
            errors["spread_charges"] = "spread_out_of_range"
    if kind == "seasonal":
        errors |= _seasonal_errors(policy, terms)
    return errors


def _months_errors(terms: Terms, limits: dict) -> dict[str, str]:
    """The number of months: given, a whole number, within the option's bounds."""
    if terms.months is None:
        return {"months": "months_required"}
    if not _is_int(terms.months) or not limits["months_min"] <= terms.months <= limits["months_max"]:
        return {"months": "months_out_of_range"}
    return {}


def _installment_plan_errors(facts: LoanFacts, policy: Policy, terms: Terms) -> dict[str, str]:
    """An installment plan's upfront amount, the date it is due and the pay day."""
    errors: dict[str, str] = {}
    upfront = terms.upfront
    if isinstance(upfront, float) or not isinstance(upfront, Decimal | int) or isinstance(upfront, bool):
        errors["upfront"] = "upfront_invalid"
    elif upfront < 0 or upfront != round_money(upfront):
        errors["upfront"] = "upfront_invalid"
    elif upfront > 0 and upfront >= facts.report.total_to_bring_current:
        errors["upfront"] = "upfront_too_large"
    due = terms.upfront_due
    if due is not None and "upfront" not in errors and upfront:
        if not isinstance(due, date) or due <= facts.as_of:
            errors["upfront_due"] = "upfront_due_passed"
        elif due > facts.as_of + timedelta(days=policy.upfront_due_days):
            errors["upfront_due"] = "upfront_due_too_late"
    if terms.pay_day is not None and (not _is_int(terms.pay_day) or not 1 <= terms.pay_day <= MAX_PAY_DAY):
        errors["pay_day"] = "pay_day_out_of_range"
    return errors


def _seasonal_errors(policy: Policy, terms: Terms) -> dict[str, str]:
    """A seasonal plan's income months: at least one, distinct calendar months, at most the policy's number."""
    chosen = terms.income_months
    if not chosen:
        return {"income_months": "income_months_required"}
    if any(not _is_int(month) or not 1 <= month <= 12 for month in chosen) or len(set(chosen)) != len(chosen):
        return {"income_months": "income_months_invalid"}
    if len(chosen) > policy.seasonal_max_income_months:
        return {"income_months": "too_many_income_months"}
    return {}


def default_terms(kind: str, facts: LoanFacts, policy: Policy) -> Terms:
    """Return the terms shown before the borrower chooses, so the options can be compared side by side.

    Installment plan: 12 months within the policy's range, no upfront, the loan's own due day (at most 28).
    Extension: 12 months or what the cap leaves. Grace: 3 months or what the policy and cap allow. Both spread
    accrued amounts as far as allowed, keeping the first payments low. Seasonal: no months. Only the farmer knows when the harvest comes; a plan built on months they never chose
    would be a figure about someone else, so the plan has no figures until they choose
    (``validate_terms`` says "income_months_required").
    """
    check_kind(kind)
    return default_terms_at(kind, facts, policy, summarise(facts))


def default_terms_at(kind: str, facts: LoanFacts, policy: Policy, position: Position) -> Terms:
    """``default_terms`` on a position already summarised."""
    limits = limits_of(kind, facts, policy, position)
    if kind == "installment_plan":
        months = min(max(12, limits["months_min"]), limits["months_max"])
        return Terms(months=months, pay_day=min(facts.due_day, MAX_PAY_DAY))
    if kind in ("extension", "grace"):
        preferred = 12 if kind == "extension" else 3
        months = max(min(preferred, limits["months_max"]), 1)
        return Terms(months=months, spread_charges=max(_spread_max(kind, facts, policy, position, months), 1))
    return Terms(income_months=())
