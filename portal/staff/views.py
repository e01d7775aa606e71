"""Staff pages: the approval queue, the case page with its decisions, the borrower list, the outcomes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal import db, policies
from portal.applications import calculation, decisions, offers, queries, serialisation
from portal.applications import queue as queue_query
from portal.applications.decisions import REVIEWERS
from portal.applications.models import Application
from portal.applications.queue import PAGE_SIZE
from portal.auth import credentials, password_change, totp
from portal.auth.access import staff_required
from portal.clock import business_date
from portal.core import audit
from portal.domain import arrears as arrears_rules
from portal.domain import lifecycle
from portal.domain.options import OPTION_KINDS, Terms
from portal.domain.proposal import PROPOSAL
from portal.i18n import current_language, labels
from portal.i18n import gettext as _
from portal.loans import classification as loan_classes
from portal.loans import services
from portal.loans.models import Loan
from portal.loans.services import ServiceError
from portal.people.models import Borrower, Branch
from portal.staff import cases
from portal.staff.forms import ApproveForm, ClaimForm, CounterForm, InfoForm, RejectForm, VariantForm
from portal.web import page_cache
from portal.web.attachments import send_attachment
from portal.web.forms import strip_controls

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@staff_required()
def home():
    """Each role's starting page."""
    if current_user.role in REVIEWERS:
        return redirect(url_for("staff.queue"))
    if current_user.role == "admin":
        return redirect(url_for("staff.outcomes"))
    if current_user.role == "agent":
        return redirect(url_for("agents.home"))
    return redirect(url_for("staff.borrowers"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Change one's own password, whatever one's role."""
    return password_change.staff_page(done=url_for("staff.home"))


@bp.route("/queue")
@staff_required(*REVIEWERS, "admin")
def queue():
    """Open applications, filtered and sorted; the filters are a GET form, so a view is a shareable URL."""
    filters = queue_query.Filters.from_args(request.args)
    today = business_date()
    result = queue_query.page(db.session, filters, staff_id=current_user.row.id, today=today)
    branches = queue_query.branch_choices(db.session)
    return render_template(
        "staff/queue.html",
        page=result,
        f=filters,
        branches=branches,
        today=today,
        statuses=queue_query.QUEUE_STATUSES,
        buckets=queue_query.BUCKETS,
        bands=queue_query.AMOUNT_BANDS,
        kinds=(*OPTION_KINDS, PROPOSAL),  # a borrower's own offer can be found like any plan
        # Every row links to its case: the path is built once for the page, not by the router 25 times.
        case_path=url_for("staff.case", reference="-")[:-1],
    )


def _case(reference: str) -> Application:
    application = (
        db.session.scalars(
            select(Application)
            .where(Application.reference == reference)
            .options(
                joinedload(Application.borrower).joinedload(Borrower.home_branch),
                joinedload(Application.policy_pack),
                joinedload(Application.evidence),
            )
        )
        .unique()
        .first()
    )  # unique(): every row of the joined documents, folded into one application
    if application is None or application.status == "draft":
        abort(404)  # a borrower's unsent draft is theirs alone
    return application


def _case_page(
    application: Application,
    *,
    forms: dict | None = None,
    counter_preview=None,
    status: int = 200,
):
    as_of = business_date()
    borrower = application.borrower
    loans = db.session.scalars(
        select(Loan)
        .where(Loan.borrower_id == borrower.id)
        .order_by(Loan.id)
        .options(joinedload(Loan.branch), joinedload(Loan.product))
    ).all()
    positions = services.loan_positions(db.session, loans, as_of)
    current = next(p for p in positions if p.loan.id == application.loan_id)
    earlier = db.session.scalars(
        select(Application)
        .where(
            Application.loan_id == application.loan_id,
            Application.id != application.id,
            Application.status.in_(("active", "completed", "broken", "accepted")),
        )
        .order_by(Application.id)
    ).all()
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
        and application.status in decisions.DECIDING
        and application.claimed_by_id == staff.id
    )


CASE_SCHEDULES = ("requested", "current")


def _record_viewing(application_id: int, borrower_id: int, action: str = "case.viewed") -> None:
    """Who viewed which borrower's case (or one of its documents) goes on the record, the page staying a read."""
    audit.record_in_own_transaction(
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
    application = _case(reference)
    _record_viewing(application.id, application.borrower_id)
    if which == "requested":
        rows, caption = (
            serialisation.schedule_from_json(application.quote.get("schedule", [])),
            _("Requested schedule"),
        )
    else:
        position = services.loan_position(db.session, application.loan, business_date())
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
    marks = cases.case_marks(db.session, reference)
    if marks is None or marks.status == "draft":
        abort(404)  # a borrower's unsent draft is theirs alone
    _record_viewing(marks.id, marks.borrower_id)
    key = _case_key(marks)
    if key is not None and (page := page_cache.kept(key)) is not None:
        return page
    page, status = _case_page(_case(reference))
    return (page_cache.keep(key, page) if key is not None else page), status


def _case_key(marks: cases.CaseMarks) -> tuple | None:
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


def _decide(reference: str, form_name: str, form, action, *, money: bool = False, **page):
    """Shared path of every decision: validate, apply, flush (the request commits); a conflict or a refused rule
    re-renders the case.

    A decision that gives money away (`money`) also needs the second factor confirmed in the last 5 minutes;
    otherwise the same form comes back, everything as it was posted, asking for the code.
    """
    application = _case(reference)
    if not form.validate_on_submit():
        return _case_page(
            application, forms={form_name: form}, status=400 if form.errors.get("csrf_token") else 200, **page
        )
    if money:
        refused = _reconfirm(application, form_name, form, **page)
        if refused is not None:
            return refused
    try:
        message = action(application)
        db.session.flush()  # a stale version shows here, not at the request's commit
    except StaleDataError:
        db.session.rollback()
        return _conflict(reference)
    except decisions.Conflict:
        db.session.rollback()
        return _conflict(reference)
    except (ServiceError, lifecycle.IllegalTransition) as error:
        db.session.rollback()
        code = getattr(error, "code", "not_decidable")
        flash(
            str(labels.ERRORS.get(code, labels.UNAVAILABLE.get(code, labels.ERRORS["not_decidable"]))),
            "error",
        )
        return redirect(url_for("staff.case", reference=reference), code=303)
    if message:
        flash(message, "info")
    return redirect(url_for("staff.case", reference=reference), code=303)


def _reconfirm(application: Application, form_name: str, form, **page):
    """None when the second factor is fresh (or the posted code renews it); else the form again, asking for it."""
    if totp.recently_confirmed():
        return None
    staff = current_user.row
    code = form.totp_code.data or ""
    if not code:
        form.totp_code.errors.append(
            _("For your safety, enter the 6-digit code from your authenticator app to confirm this decision.")
        )
        return _case_page(application, forms={form_name: form}, **page)
    checked = credentials.check_code(totp.throttle_key(staff), lambda own: totp.check(own, staff, code))
    if checked.locked:
        form.totp_code.errors.append(credentials.locked_message(checked.retry_after))
        body, _status = _case_page(application, forms={form_name: form}, **page)
        return credentials.locked_response(body, checked.retry_after)
    if checked.ok:
        totp.mark_confirmed()
        return None
    form.totp_code.errors.append(
        _("That code is not right. Enter the 6-digit code your authenticator app shows now.")
    )
    return _case_page(application, forms={form_name: form}, **page)


def _conflict(reference: str):
    db.session.expire_all()
    application = _case(reference)
    flash(str(labels.ERRORS["conflict"]), "error")
    return _case_page(application, status=409)


@bp.route("/cases/<reference>/claim", methods=["POST"])
@staff_required(*REVIEWERS)
def claim(reference: str):
    """Take the case."""
    form = ClaimForm()

    def act(application):
        decisions.claim(db.session, application, current_user.row, seen_version=form.version.data)
        return _("You hold this case now.")

    return _decide(reference, "claim", form, act)


@bp.route("/cases/<reference>/release", methods=["POST"])
@staff_required(*REVIEWERS)
def release(reference: str):
    """Put the case back in the queue."""
    form = ClaimForm()

    def act(application):
        decisions.release(db.session, application, current_user.row, seen_version=form.version.data)
        return _("The case is back in the queue.")

    return _decide(reference, "claim", form, act)


@bp.route("/cases/<reference>/approve", methods=["POST"])
@staff_required(*REVIEWERS)
def approve(reference: str):
    """Approve (or give the second approval)."""
    form = ApproveForm()

    def act(application):
        status = decisions.approve(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            waivers={"penalty": form.waive_penalty.data, "compound": form.waive_compound.data},
            note=(form.note.data or "").strip() or None,
        )
        if status == "awaiting_second_approval":
            return _("Above your limit: the case now waits for a senior reviewer's second approval.")
        return _("Approved. The borrower has been told.")

    return _decide(reference, "approve", form, act, money=True)


@bp.route("/cases/<reference>/reject", methods=["POST"])
@staff_required(*REVIEWERS)
def reject(reference: str):
    """Refuse with a reason."""
    form = RejectForm()

    def act(application):
        decisions.reject(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            reason=form.reason.data,
            note=form.note.data.strip(),
        )
        return _("Rejected. The borrower has been told.")

    return _decide(reference, "reject", form, act)


@bp.route("/cases/<reference>/information", methods=["POST"])
@staff_required(*REVIEWERS)
def request_information(reference: str):
    """Ask the borrower for more information."""
    form = InfoForm()

    def act(application):
        decisions.request_information(
            db.session,
            application,
            current_user.row,
            seen_version=form.version.data,
            question=form.question.data.strip(),
        )
        return _("Sent. The case waits for the borrower's answer.")

    return _decide(reference, "info", form, act)


def _counter_terms(form: CounterForm) -> Terms:
    return Terms(
        months=form.months.data,
        upfront=form.upfront.amount or 0,
        pay_day=form.pay_day.data,
        income_months=tuple(sorted(int(m) for m in form.income_months.data or ())),
        spread_charges=form.spread_charges.data or 1,
    )


@bp.route("/cases/<reference>/counter", methods=["POST"])
@staff_required(*REVIEWERS)
def counter(reference: str):
    """Preview a counter-offer, then send it."""
    form = CounterForm()
    application = _case(reference)
    if request.form.get("action") != "send":
        if not form.validate_on_submit():
            return _case_page(application, forms={"counter": form})
        waivers = {"penalty": form.waive_penalty.data, "compound": form.waive_compound.data}
        preview = decisions.counter_quote(
            db.session, application, form.kind.data, _counter_terms(form), business_date(), waivers
        )
        return _case_page(application, forms={"counter": form}, counter_preview=preview)

    def act(application):
        status = decisions.counter(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            kind=form.kind.data,
            terms=_counter_terms(form),
            waivers={"penalty": form.waive_penalty.data, "compound": form.waive_compound.data},
            note=(form.note.data or "").strip() or None,
        )
        if status == "awaiting_second_approval":
            return _("Above your limit: the counter-offer waits for a senior reviewer's second approval.")
        return _("Counter-offer sent. The borrower has been told.")

    preview = None
    if form.validate_on_submit() and not totp.recently_confirmed():
        # Should the code be asked for, the page comes back with the preview and its send button, as posted.
        waivers = {"penalty": form.waive_penalty.data, "compound": form.waive_compound.data}
        preview = decisions.counter_quote(
            db.session, application, form.kind.data, _counter_terms(form), business_date(), waivers
        )
    return _decide(reference, "counter", form, act, money=True, counter_preview=preview)


@bp.route("/cases/<reference>/variant", methods=["POST"])
@staff_required(*REVIEWERS, "admin")
def change_variant(reference: str):
    """Move the case's borrower to the other variant; the application keeps the one it was started under."""
    application = _case(reference)
    form = VariantForm()
    if not form.validate_on_submit():
        return _case_page(application, forms={"variant": form})
    _move_to_variant(application.borrower, form.variant.data)
    return redirect(url_for("staff.case", reference=reference), code=303)


def _move_to_variant(borrower: Borrower, variant: str) -> None:
    """Change a borrower's variant (audited by the service) and say what happened."""
    changed = services.change_variant(db.session, borrower, variant, actor=current_user.actor)
    flash(
        _("The borrower's variant is changed. Applications already started keep theirs.")
        if changed
        else _("The borrower already has that variant."),
        "info",
    )


@bp.route("/borrowers")
@staff_required()
def borrowers():
    """Borrowers of every branch, searchable by name or phone and filterable by branch, newest first."""
    return _borrowers_page()


def _borrowers_list_args() -> dict:
    """The Borrowers page's own query (search, branch, page), cleaned: what its links and forms carry on."""
    # Control characters never belong in a search (and PostgreSQL refuses a NUL in a string).
    query_text = strip_controls(request.args.get("q") or "").strip()[:64]
    branch_code = strip_controls(request.args.get("branch") or "")[:16]
    try:
        page = max(1, min(10_000, int(request.args.get("page", "1"))))
    except ValueError:
        page = 1
    return {"q": query_text or None, "branch": branch_code or None, "page": page if page > 1 else None}


@bp.route("/borrowers/<int:borrower_id>/variant", methods=["POST"])
@staff_required(*REVIEWERS, "admin")
def change_borrower_variant(borrower_id: int):
    """Move a borrower to the other variant from the Borrowers page (no application needed); back to the same view."""
    borrower = db.session.get(Borrower, borrower_id)
    if borrower is None:
        abort(404)
    form = VariantForm()
    if not form.validate_on_submit():
        errors = list(form.variant.errors) or [_("Choose a variant.")]
        return _borrowers_page(variant_error=(borrower.id, errors))
    _move_to_variant(borrower, form.variant.data)
    # Rebuilt from the page's own cleaned query, so only ever this site's Borrowers page.
    return redirect(url_for("staff.borrowers", **_borrowers_list_args()), code=303)


def _borrowers_page(*, variant_error: tuple[int, list[str]] | None = None):
    """The Borrowers page; `variant_error` is (borrower id, messages) after a refused change of variant."""
    list_args = _borrowers_list_args()
    query_text, branch_code, page = list_args["q"] or "", list_args["branch"] or "", list_args["page"] or 1
    loan_count = select(func.count(Loan.id)).where(Loan.borrower_id == Borrower.id).scalar_subquery()
    query = select(Borrower, Branch, loan_count.label("loans")).join(
        Branch, Branch.id == Borrower.home_branch_id
    )
    if query_text:
        like = "%" + query_text.replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(Borrower.name.like(like, escape="\\"), Borrower.phone.like(like, escape="\\"))
        )
    if branch_code:
        query = query.where(Branch.code == branch_code)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(Borrower.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    branches = db.session.scalars(select(Branch).order_by(Branch.code)).all()
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template(
        "staff/borrowers.html",
        rows=rows,
        branches=branches,
        q=query_text,
        branch_code=branch_code,
        page=page,
        pages=pages,
        total=total,
        may_change_variant=current_user.role in (*REVIEWERS, "admin"),
        list_args=list_args,
        variant_error=variant_error,
    )


@bp.route("/cases/<reference>/evidence/<token>")
@staff_required(*REVIEWERS, "admin")
def case_evidence(reference: str, token: str):
    """A document of the case, for the staff working it (the viewing is on the record)."""
    from portal.applications import evidence

    application = _case(reference)
    if not any(item.token == token and item.data is not None for item in application.evidence):
        abort(404)
    _record_viewing(application.id, application.borrower_id, "evidence.viewed")
    return send_attachment(evidence.stored_file(db.session, application, token))
