"""The case page: the application loaded with what it shows, every viewing on the record, kept pages."""

from __future__ import annotations

from flask import abort, render_template, session
from flask_login import current_user

from portal import db, policies
from portal.applications import calculation, casefile, claims, limits, offers, queries, serialisation
from portal.applications.decisions import REVIEWERS
from portal.applications.models import Application
from portal.auth import totp
from portal.auth.access import staff_required
from portal.clock import business_date
from portal.core import audit
from portal.domain import arrears as arrears_rules
from portal.domain.lifecycle import BEING_DECIDED
from portal.domain.options import OPTION_KINDS
from portal.i18n import current_language, labels, listing
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.loans import classification as loan_classes
from portal.loans.positions import loan_position, loan_positions
from portal.staff import bp
from portal.staff.forms import (
    ApproveForm,
    ClaimForm,
    CounterForm,
    InfoForm,
    ReassignForm,
    RejectForm,
    VariantForm,
)
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
    open_kinds = None
    if can_decide:  # the decision forms are shown only to the reviewer holding the case
        open_kinds = _open_kinds(application, as_of)
        defaults |= {
            "approve": ApproveForm(formdata=None, version=version),
            "reject": RejectForm(formdata=None, version=version),
            "info": InfoForm(formdata=None, version=version),
            "counter": _counter_form_for(application, version, open_kinds),
        }
    if _can_reassign(application):
        reassign = ReassignForm(formdata=None, version=version)
        reassign.to.choices = reassign_choices(application)
        defaults["reassign"] = reassign
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
    staff = current_user.row
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
        # Waivers with what each forgoes today, wherever a waiver is shown (the borrower's offer page agrees).
        waived=offers.offer_waivers(application, current.report),
        holder_id=claims.holder_id(application),
        claim_lapsed=claims.lapsed(application),
        claim_lapses_at=claims.lapses_at(application),
        my_limits=limits.limits_of(staff, application) if staff.role in REVIEWERS else None,
        above_my_limit=staff.role in REVIEWERS and limits.above_approval_limit(staff, application),
        open_kinds=open_kinds,
        open_plans=listing(labels.OPTIONS[k] for k in open_kinds or ()),
        case_events=CASE_EVENTS,
    ), status


# Staff-only entries of a case's history (the borrower's page leaves them out).
CASE_EVENTS = {
    "case.released": _l("Case put back in the queue by a senior reviewer"),
    "case.reassigned": _l("Case given to another reviewer by a senior reviewer"),
}


def _open_kinds(application: Application, as_of) -> list[str]:
    """The plans the loan can have today under the application's pack (a matured loan cannot be extended...)."""
    quotes = calculation.calculator(db.session, application, as_of).quote_all()
    return [quote.kind for quote in quotes if quote.available]


def _counter_form_for(application: Application, version: int, open_kinds: list[str]) -> CounterForm:
    form = CounterForm(formdata=None, version=version)
    terms = application.terms or {}
    # A proposal, or a plan the loan can no longer have, is answered with one it can: the first one open.
    offered = open_kinds or policies.of(application.policy_pack).options
    form.kind.data = application.option if application.option in offered else (offered or OPTION_KINDS)[0]
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
        and claims.holder_id(application) == staff.id
    )


def _can_reassign(application: Application) -> bool:
    """A senior reviewer may release or reassign a case someone else holds (or held, before it lapsed)."""
    staff = current_user.row
    return (
        staff.role == "senior_reviewer"
        and application.status in BEING_DECIDED
        and application.claimed_by_id not in (None, staff.id)
    )


def reassign_choices(application: Application) -> list[tuple[str, str]]:
    """Nobody (back in the queue), then each reviewer who may hold the case."""
    return [("", _("Nobody: put it back in the queue"))] + [
        (str(member.id), member.name) for member in claims.candidates(db.session, application)
    ]


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
        claims.marks_live(marks.claimed_at, marks.pack),
        current_user.row.id,
        current_user.role,
        totp.recently_confirmed(),
        marks,
        business_date(),
        current_language(),
    )
