"""Typed SQLAlchemy models, one module per part of the domain; import them from here."""

from portal.loans.models.cases import Application, Disaster, Evidence, PolicyPack
from portal.loans.models.help import HELP_KINDS, HelpRequest
from portal.loans.models.loans import (
    PPM,
    Loan,
    LoanProduct,
    Payment,
    ScheduleLine,
    ScheduleVersion,
    rate_from_ppm,
)
from portal.loans.models.people import (
    ROLES,
    Borrower,
    Branch,
    OneTimeCode,
    SignInFailure,
    StaffUser,
    mask_id_number,
    mask_phone,
)
from portal.loans.models.records import AuditEvent, Notification
from portal.loans.models.support import AssistedSession, Callback, CallNote, SupportCode, VerificationAttempt

__all__ = [
    "PPM",
    "ROLES",
    "Application",
    "AssistedSession",
    "CallNote",
    "Callback",
    "AuditEvent",
    "Borrower",
    "Branch",
    "Disaster",
    "Evidence",
    "HELP_KINDS",
    "HelpRequest",
    "Loan",
    "LoanProduct",
    "Notification",
    "OneTimeCode",
    "Payment",
    "PolicyPack",
    "ScheduleLine",
    "ScheduleVersion",
    "SignInFailure",
    "StaffUser",
    "SupportCode",
    "VerificationAttempt",
    "mask_id_number",
    "mask_phone",
    "rate_from_ppm",
]
