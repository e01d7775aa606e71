"""The case page: the application loaded with what it shows, every viewing on the record, kept pages."""

from __future__ import annotations

from flask import abort, render_template, session
from flask_login import current_user

from portal import db, policies
from portal.applications import calculation, casefile, offers, queries, serialisation
from portal.applications.decisions import REVIEWERS
from portal.applications.models import Application
from portal.auth import totp
from portal.auth.access import staff_required
from portal.clock import business_date
from portal.core import audit
from portal.domain import arrears as arrears_rules
from portal.domain.lifecycle import BEING_DECIDED
from portal.domain.options import OPTION_KINDS
from portal.i18n import current_language
from portal.i18n import gettext as _
from portal.loans import classification as loan_classes
from portal.loans.positions import loan_position, loan_positions
from portal.staff import bp
from portal.staff.forms import ApproveForm, ClaimForm, CounterForm, InfoForm, RejectForm, VariantForm
from portal.web import page_cache


def load_case(reference: str) -> Application:
    """The case with everything its page shows, or 404 (also for a draft never sent: see `casefile.IS_CASE`)."""
    application = casefile.case(db.session, reference)
    if application is None:
        abort(404)
    return application


def render_case(
    application: Application,
    *,
    forms: dict | None = None,
    counter_preview=None,
    status: int = 200,
):
    """The case page (and its status): `forms` replace the blank ones (a form posted back with its errors)."""
    as_of = business_date()
    borrower = application.borrower
    loans = casefile.borrower_loans(db.session, borrower.id)
    positions = loan_positions(db.session, loans, as_of)
    current = next(p for p in positions if p.loan.id == application.loan_id)
    earlier = casefile.earlier_plans(db.session, application)
    version = application.row_version
    can_decide = _can_decide(application)
    defaults = {
        "claim": ClaimForm(formdata=None, version=version),
        "variant": VariantForm(formdata=None, variant=borrower.variant),
    }
    if can_decide:  # the decision forms are shown only to the reviewer holding the case
        defaults |= {
            "approve": ApproveForm(formdata=None, version=version),
            "reject": RejectForm(formdata=None, version=version),
            "info": InfoForm(formdata=None, version=version),
            "counter": _counter_form_for(application, version),
        }
    defaults.update(forms or {})
    policy = policies.of(application.policy_pack)
    budget = calculation.budget_of(application)
    limit = None
    if budget is not None:
        from portal.domain.hardship import affordable_limit

        limit = affordable_limit(budget.disposable, policy.affordability_share)
    classified = loan_classes.classify_position(current, [application, *earlier], policy, as_of)
    offered = None
    if application.status in ("awaiting_second_approval", "approved", "countered"):
        offered = offers.offered_quote(db.session, application, as_of)
    return render_template(
        "staff/case.html",
        a=application,
        b=borrower,
        positions=positions,
        current=current,
        earlier=earlier,
        history=queries.history(db.session, application),
        forms=defaults,
        as_of=as_of,
        budget=budget,
        limit=limit,
        policy=policy,
        requested=serialisation.schedule_from_json(application.quote.get("schedule", [])),
        counter_preview=counter_preview,
        offered=offered,
        classified=classified,
        waivable=arrears_rules.waivable(current.report),
        can_decide=can_decide,
        reconfirm=not totp.recently_confirmed(),
    ), status


def _counter_form_for(application: Application, version: int) -> CounterForm:
    form = CounterForm(formdata=None, version=version)
    terms = application.terms or {}
    # A proposal is answered with a real plan: start from the first one the policy offers.
    offered = policies.of(application.policy_pack).options
    form.kind.data = (
        application.option if application.option in OPTION_KINDS else (offered or OPTION_KINDS)[0]
    )
    form.months.data = terms.get("months")
    form.pay_day.data = terms.get("pay_day")
    form.spread_charges.data = terms.get("spread_charges")
    form.upfront.data = terms.get("upfront") if terms.get("upfront") not in (None, "0.00") else ""
    form.income_months.data = [str(m) for m in terms.get("income_months") or ()]
    return form


def _can_decide(application: Application) -> bool:
    staff = current_user.row
    return (
        staff.role in REVIEWERS
        and application.status in BEING_DECIDED
        and application.claimed_by_id == staff.id
    )


CASE_SCHEDULES = ("requested", "current")


def record_viewing(application_id: int, borrower_id: int, action: str = "case.viewed") -> None:
    """Who viewed which borrower's case (or one of its documents) goes on the record, the page staying a read
    (the record of viewings, off the chain: page views never wait for one another)."""
    audit.record_view(
        actor=current_user.actor,
        action=action,
        subject=f"application:{application_id}",
        channel="branch",
        on_behalf_of=f"borrower:{borrower_id}",
    )


@bp.route("/cases/<reference>/schedules/<which>")
@staff_required(*REVIEWERS, "admin")
def case_schedule(reference: str, which: str):
    """Every installment of the requested plan or of the loan's unpaid schedule: the case page lists the first 12
    and sums up the rest, so a 30-year loan costs the case page what a two-year one does."""
    if which not in CASE_SCHEDULES:
        abort(404)
    application = load_case(reference)
    record_viewing(application.id, application.borrower_id)
    if which == "requested":
        rows, caption = (
            serialisation.schedule_from_json(application.quote.get("schedule", [])),
            _("Requested schedule"),
        )
    else:
        position = loan_position(db.session, application.loan, business_date())
        rows = [i for i in position.report.installments if i.status != "paid"]
        caption = _("Current schedule")
    return render_template(
        "staff/case_schedule.html", a=application, rows=rows, caption=caption, charges=which == "requested"
    )


@bp.route("/cases/<reference>")
@staff_required(*REVIEWERS, "admin")
def case(reference: str):
    """The case: borrower, loans, hardship, budget, requested plan beside the current schedule, risk, history.

    Every viewing is on the record; the page itself is kept (portal/web/page_cache.py) under a key naming all it
    shows, so a reviewer going back to a case does not read the loans and replay the arrears again."""
    marks = casefile.case_marks(db.session, reference)
    if marks is None:
        abort(404)  # no such case, or a draft never sent (theirs alone)
    record_viewing(marks.id, marks.borrower_id)
    key = _case_key(marks)
    if key is not None and (page := page_cache.kept(key)) is not None:
        return page
    page, status = render_case(load_case(reference))
    return (page_cache.keep(key, page) if key is not None else page), status


def _case_key(marks: casefile.CaseMarks) -> tuple | None:
    """What the case page shows depends on, for the page cache; None when this view must not be kept.

    The application's row version (every claim, decision and answer bumps it), the borrower's view version (the
    database raises it on every write to their loans, payments, schedules, applications and messages) and the
    newest entry of the history (documents added or removed, refused attempts) name the case's data; the viewer,
    their role and whether their second factor is fresh name what they may do on it; the business date, the
    language and the borrower's own shown details complete it. Names of branches and staff are at most
    PAGE_CACHE_SECONDS late, as on the dashboard."""
    if "_flashes" in session:
        return None
    return (
        "staff.case",
        current_user.row.id,
        current_user.role,
        totp.recently_confirmed(),
        marks,
        business_date(),
        current_language(),
    )
