"""Evidence files: type decided by content, size and count limited by policy, stored in the database.

Files live in the database (so several app servers share them), under a random token, never in the web root;
they are served only as attachments with their stored type. A file must open as what its first bytes say it is
(`file_check`). Each borrower stores at most `BORROWER_STORAGE_BYTES` in all.

Every file has a purge date while it is kept for nothing: on an unsent draft, `DRAFT_FILE_DAYS` after it was added
(so an abandoned draft's files go); on a withdrawn application, `WITHDRAWN_FILE_DAYS` after the withdrawal if it
was never sent, or the policy's retention after it if a reviewer saw it; on a decided one, the policy's retention
after the decision. Sending an application lifts the draft's dates until a decision sets them again.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.applications import file_check
from portal.applications.models import Application, Evidence
from portal.clock import business_date, utcnow
from portal.core import audit
from portal.core.files import StoredFile
from portal.loans.services import ServiceError

DRAFT_FILE_DAYS = 60
WITHDRAWN_FILE_DAYS = 30
BORROWER_STORAGE_BYTES = 60 * 1024 * 1024  # room for one application's five 10 MB files and a few more

SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, or None when it is not a PDF, JPEG or PNG."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def clean_name(name: str) -> str:
    """A display name: no path, no control characters, at most 120 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:120] or "file"


def add(
    session: Session,
    application: Application,
    upload,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> Evidence:
    """Store one uploaded file on a draft application, or raise ServiceError (too_large, empty_file, bad_type,
    too_many); the view answers too_large with 413 and the others with a message on the field."""
    policy = application.policy_pack.data
    limit = int(policy["evidence_max_bytes"])
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ServiceError("too_large")
    if len(data) == 0:
        raise ServiceError("empty_file")
    kind = sniff(data[:16])
    if kind is None:
        raise ServiceError("bad_type")
    if len(application.evidence) >= int(policy["evidence_max_files"]):
        raise ServiceError("too_many")
    content_type, _extension = kind
    if not file_check.opens_as(data, content_type):
        raise ServiceError("unreadable")
    if stored_bytes(session, application.borrower_id) + len(data) > BORROWER_STORAGE_BYTES:
        raise ServiceError("storage_full")
    item = Evidence(
        application_id=application.id,
        token=secrets.token_urlsafe(18),
        filename=clean_name(upload.filename or ""),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_at=utcnow(),
        purge_after=business_date() + timedelta(days=DRAFT_FILE_DAYS),
    )
    session.add(item)
    _changed(
        session,
        application,
        "evidence.added",
        {"sha256": item.sha256, "size": item.size},
        actor,
        channel,
        on_behalf_of,
    )
    return item


def _find(session: Session, application: Application, token: str) -> Evidence | None:
    return session.scalars(
        select(Evidence).where(Evidence.application_id == application.id, Evidence.token == token)
    ).first()


def _changed(
    session: Session,
    application: Application,
    action: str,
    data: dict,
    actor: str,
    channel: str,
    on_behalf_of: str | None,
) -> None:
    """The application's files as they are now, and the audit row saying what changed."""
    session.flush()
    session.refresh(application, ["evidence"])
    audit.record(
        session,
        actor=actor,
        on_behalf_of=on_behalf_of,
        channel=channel,
        action=action,
        subject=f"application:{application.id}",
        data=data,
    )


def remove(
    session: Session,
    application: Application,
    token: str,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> bool:
    """Remove a file from a draft; False when there is no such file on this application."""
    item = _find(session, application, token)
    if item is None:
        return False
    session.delete(item)
    _changed(session, application, "evidence.removed", {"sha256": item.sha256}, actor, channel, on_behalf_of)
    return True


def stored_file(session: Session, application: Application, token: str) -> StoredFile | None:
    """The application's file under `token`; None when it is not this application's, or purged."""
    item = _find(session, application, token)
    if item is None or item.data is None:
        return None
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[item.content_type]
    return StoredFile(item.data, item.content_type, f"{application.reference}-{item.id}.{extension}")


def stored_bytes(session: Session, borrower_id: int) -> int:
    """What the borrower's files take up now (purged files take nothing)."""
    return session.scalar(
        select(func.coalesce(func.sum(Evidence.size), 0))
        .join(Application, Application.id == Evidence.application_id)
        .where(Application.borrower_id == borrower_id, Evidence.data.is_not(None))
    )


def keep_while_deciding(application: Application) -> None:
    """Sent: the files are kept until the decision sets their purge date."""
    for item in application.evidence:
        item.purge_after = None


def schedule_withdrawn(application: Application, withdrawn_on: date) -> None:
    """Withdrawn: a draft's files go soon; those a reviewer saw are kept as long as after a decision."""
    days = (
        WITHDRAWN_FILE_DAYS
        if application.submitted_at is None
        else application.policy_pack.data["evidence_retention_days"]
    )
    schedule_purge(application, withdrawn_on, int(days))


def schedule_purge(application: Application, decided_on: date, retention_days: int) -> None:
    """Set when the application's files go: a set time after the decision."""
    for item in application.evidence:
        item.purge_after = decided_on + timedelta(days=retention_days)


def purge_due(session: Session, today: date) -> int:
    """Erase the content of files whose time has come; returns how many."""
    result = session.execute(
        update(Evidence).where(Evidence.purge_after <= today, Evidence.data.is_not(None)).values(data=None)
    )
    return result.rowcount or 0
