"""Messages to borrowers about their applications, written in the borrower's own language into the outbox.

Each is also kept as an in-portal message, so the borrower sees it on their pages whatever happens to the SMS.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy.orm import Session

from portal.applications.models import Application
from portal.core import outbox
from portal.core.notices import to_borrower
from portal.i18n import date_long
from portal.i18n import gettext as _
from portal.people.models import Borrower


def acknowledge(session: Session, application: Application) -> None:
    """We received the application: its reference and the date a decision is due (and, when our phone staff
    sent it for the borrower, that it was sent by phone: one message, not two)."""
    borrower = application.borrower
    with force_locale(borrower.locale):
        if application.channel == "phone":
            body = _(
                "Our staff sent your application %(reference)s for you by phone, as you agreed on the call. We "
                "will decide by %(date)s and tell you by text message. If you did not ask for this, call us.",
                reference=application.reference,
                date=date_long(application.decision_due),
            )
        else:
            body = _(
                "We received your application %(reference)s. We will decide by %(date)s and tell you by text "
                "message.",
                reference=application.reference,
                date=date_long(application.decision_due),
            )
    to_borrower(session, borrower, "application_received", body)


def accepted(session: Session, application: Application) -> None:
    """The new schedule is in force (accepted by the borrower, or for them by phone with their consent)."""
    borrower = application.borrower
    consent = (application.agreement or {}).get("consent_reference")
    with force_locale(borrower.locale):
        if consent:
            body = _(
                "You accepted the new repayment plan for loan %(loan)s on a call with our staff (consent "
                "reference %(consent)s). It is in force now. Your agreement is on your loan page. If you did not "
                "agree to this, call us.",
                loan=application.loan.number,
                consent=consent,
            )
        else:
            body = _(
                "Your new repayment plan for loan %(loan)s is in force. Your agreement is on your loan page.",
                loan=application.loan.number,
            )
    to_borrower(session, borrower, "plan_in_force", body)


def done_by_phone(session: Session, application: Application, action: str) -> None:
    """Our phone staff did something for the borrower on a call: say what, so nothing happens behind their back.
    (Sending and accepting have their own messages: `acknowledge` and `accepted`.)"""
    borrower = application.borrower
    with force_locale(borrower.locale):
        bodies = {
            "started": _(
                "On your call with us, our staff started application %(reference)s for loan %(loan)s for you. "
                "If you did not ask for this, call us.",
                reference=application.reference,
                loan=application.loan.number,
            ),
            "hardship": _(
                "On your call with us, our staff wrote down your situation in application %(reference)s for you. "
                "You can read it on the website.",
                reference=application.reference,
            ),
            "withdrawn": _(
                "On your call with us, our staff withdrew application %(reference)s for you, as you asked.",
                reference=application.reference,
            ),
            "declined": _(
                "On your call with us, our staff declined the offer on application %(reference)s for you, as you "
                "asked.",
                reference=application.reference,
            ),
            "answered": _(
                "On your call with us, our staff sent your answer on application %(reference)s for you.",
                reference=application.reference,
            ),
            "appealed": _(
                "On your call with us, our staff asked for application %(reference)s to be looked at again for "
                "you.",
                reference=application.reference,
            ),
        }
    body = bodies.get(action)
    if body:
        to_borrower(session, borrower, f"phone_{action}", body)


def confirmation_code(session: Session, borrower: Borrower, code: str) -> None:
    """A code to confirm accepting an offer (sent at once: it expires in minutes)."""
    with force_locale(borrower.locale):
        body = _(
            "Your code to accept the repayment offer is %(code)s. It is valid for 5 minutes. Never tell anyone this "
            "code.",
            code=code,
        )
    outbox.queue(session, borrower, kind="accept_code", body=body, urgent=True)
    outbox.deliver_urgent_once_committed()


def decided(session: Session, application: Application) -> None:
    """Tell the borrower what was decided, in their language: approved, counter-offer, rejected, or a question."""
    borrower = application.borrower
    with force_locale(borrower.locale):
        bodies = {
            "approved": _(
                "Good news: your application %(reference)s is approved. Please accept it by %(date)s on the "
                "website or by calling us.",
                reference=application.reference,
                date=date_long(application.offer_expires_on),
            ),
            "countered": _(
                "About your application %(reference)s: we can offer you a different plan. Please look at it and "
                "answer by %(date)s.",
                reference=application.reference,
                date=date_long(application.offer_expires_on),
            ),
            "rejected": _(
                "About your application %(reference)s: we could not approve it. The reason is on the website. "
                "You can ask us to look again within 14 days, or call us.",
                reference=application.reference,
            ),
            "info_requested": _(
                "About your application %(reference)s: we need a little more information. Please answer on the "
                "website or call us.",
                reference=application.reference,
            ),
        }
    status = application.status
    if status == "approved" and application.counter_terms:
        status = "countered"  # a counter-offer that needed a second approval: still another plan than asked
    body = bodies.get(status)
    if body:
        to_borrower(session, borrower, f"application_{status}", body)


def plan_broken(session: Session, application: Application) -> None:
    """The plan has ended after two missed payments: say so plainly and offer a new assessment."""
    borrower = application.borrower
    with force_locale(borrower.locale):
        body = _(
            "Two payments of your plan for loan %(loan)s were missed, so the plan has ended. Please call us or "
            "apply again on the website: we will look at your situation afresh.",
            loan=application.loan.number,
        )
    to_borrower(session, borrower, "plan_broken", body)
