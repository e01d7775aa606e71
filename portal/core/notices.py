"""Messages to borrowers, written in the borrower's own language into the outbox: the ones every feature
shares (`to_borrower`), and those about help and sign-in. Messages about applications are in
`portal.applications.notices`.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy.orm import Session

from portal.core import outbox
from portal.i18n import gettext as _
from portal.i18n import labels
from portal.people.models import Borrower


def to_borrower(session: Session, borrower: Borrower, kind: str, body: str) -> None:
    """A text message and the same words as an in-portal message, so the borrower sees it whatever happens to
    the text message."""
    outbox.queue(session, borrower, kind=kind, body=body, channel="sms")
    outbox.queue(session, borrower, kind=kind, body=body, channel="portal")


def help_requested(session: Session, request) -> None:
    """Confirm a request for a visit or a call back, in the borrower's language."""
    borrower = request.borrower
    with force_locale(borrower.locale):
        window = str(labels.HELP_WINDOWS.get(request.window, ""))
        if request.kind == "visit":
            body = _(
                "We have your request for a loan officer to visit you, %(window)s. Your branch will call you "
                "within 2 working days to agree a day.",
                window=window,
            )
        else:
            body = _(
                "We have your request for a call back. We will call you on %(phone)s, %(window)s, within 2 "
                "working days.",
                phone=borrower.masked_phone,
                window=window,
            )
    to_borrower(session, borrower, f"help_{request.kind}", body)


def password_changed(session: Session, borrower: Borrower, help_phone: str) -> None:
    """The borrower's password was changed: a text message at once (a security notice, so quiet hours do not
    hold it: if it was not them, they must know now) and an in-portal message."""
    with force_locale(borrower.locale):
        body = _(
            "Your password for the loan repayment website was changed, and you were signed out on your other phones "
            "and computers. If you did not change it, call us straight away on %(phone)s.",
            phone=help_phone,
        )
    outbox.queue(session, borrower, kind="password_changed", body=body, channel="sms", urgent=True)
    outbox.queue(session, borrower, kind="password_changed", body=body, channel="portal")


def assisted_session_started(session: Session, borrower: Borrower, until: str, help_phone: str) -> None:
    """A phone agent can act for the borrower from now until `until` (HH:MM): a text message at once (quiet hours do
    not hold it: if the caller was not them, they must know now) and an in-portal message."""
    with force_locale(borrower.locale):
        body = _(
            "Our phone staff can now help with your loans for you, until %(time)s, because a caller was checked as "
            "you. If you are not on a call with us, call us straight away on %(phone)s.",
            time=until,
            phone=help_phone,
        )
    outbox.queue(session, borrower, kind="assist_started", body=body, channel="sms", urgent=True)
    outbox.queue(session, borrower, kind="assist_started", body=body, channel="portal")
