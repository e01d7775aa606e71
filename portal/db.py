"""Database engine, session and declarative base.

SQLite is the embedded default (WAL, a busy timeout, and `BEGIN IMMEDIATE` for requests that write, so writers
queue instead of failing with "database is locked"); PostgreSQL is the production database.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Whether the current unit of work intends to write. Safe HTTP methods clear it; CLI commands and tests keep it.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


class Base(DeclarativeBase):
    """Declarative base for every model; constraint names are stable so migrations can refer to them."""

    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    """Create an engine, tuned for SQLite when the URL is SQLite."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    # A database that does not answer (restarting, unreachable) fails a new connection within seconds, so the
    # request gets its retryable 503 well before the proxy's and the worker's timeouts instead of hanging. A
    # connection found broken mid-request invalidates the whole pool (SQLAlchemy's disconnect handling), so after
    # a restart one request per worker at most sees the old connections fail.
    engine = create_engine(
        url, pool_size=5, max_overflow=10, connect_args={"connect_timeout": CONNECT_TIMEOUT}
    )
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 30
CONNECT_TIMEOUT = 5  # seconds (libpq's connect_timeout)


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has been idle a while (the database may have restarted
    or dropped it meanwhile). SQLAlchemy's pool_pre_ping asks on every checkout, one more round trip for every
    page; a connection in steady use is known to be alive."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure means this connection is gone
            raise DisconnectionError() from exc  # the pool discards it and tries a fresh connection


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY; taking the write lock up
        # front makes concurrent writers wait their turn (busy_timeout) instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app; one session per request, closed at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    # Pages read with GET change nothing (tests/security prove it; what must be on the record, such as who viewed
    # a case, is written in a transaction of its own). On PostgreSQL they read in autocommit: under its READ
    # COMMITTED each statement sees its own snapshot anyway, and BEGIN and ROLLBACK would be two more round trips
    # for every page. SQLite has no round trips to save and keeps its transactions.
    reads = (
        engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="AUTOCOMMIT")
    )
    app.extensions["db_read_sessionmaker"] = sessionmaker(bind=reads, expire_on_commit=False)

    for maker in (app.extensions["db_sessionmaker"], app.extensions["db_read_sessionmaker"]):
        _track_writes(maker)

    @app.before_request
    def _mark_intent():
        g.write_intent_token = write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))
        g.unit_of_work = True

    @app.after_request
    def _end_request(response):
        # The request boundary: the view's work is committed when it answered 2xx or 3xx, and rolled back on any
        # error status or exception (error pages come through here too, with their status).
        if g.pop("unit_of_work", False):
            end_unit_of_work(ok=response.status_code < 400)
        return response

    @app.teardown_request
    def _forget_intent(_exc):
        if g.pop("unit_of_work", False):
            end_unit_of_work(ok=False)  # the response was never made: nothing of this request is kept
        token = g.pop("write_intent_token", None)
        if token is not None:
            write_intent.reset(token)  # code after the request (CLI, tests) writes again

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The session of the current app context (created on first use)."""
    from flask import current_app

    if "db_session" not in g:
        maker = "db_sessionmaker" if write_intent.get() else "db_read_sessionmaker"
        g.db_session = current_app.extensions[maker]()
    return g.db_session


def _track_writes(maker: sessionmaker) -> None:
    """Note in `session.info` whether the open transaction has written anything (see `own_transaction`)."""

    @event.listens_for(maker, "after_flush")
    def _flushed(session, _context):
        session.info["wrote"] = True

    @event.listens_for(maker, "do_orm_execute")
    def _executed(state):
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info["wrote"] = True

    @event.listens_for(maker, "after_transaction_end")
    def _ended(session, transaction):
        if transaction.parent is None:
            session.info.pop("wrote", None)


def after_commit(callback: Callable[[Session], None]) -> None:
    """Run `callback(session)` once this unit of work has committed (in a transaction of its own, committed too):
    a text message goes out only when what it tells of is on the record. Outside a request or a command (tests
    arranging data) it runs at once, in the caller's transaction."""
    if has_app_context() and g.get("unit_of_work"):
        g.setdefault("after_commit", []).append(callback)
    else:
        callback(get_session())


def _has_work(session: Session) -> bool:
    """Whether the session has written in its transaction or holds changes a commit would flush."""
    return bool(session.info.get("wrote") or session.new or session.dirty or session.deleted)


def end_unit_of_work(*, ok: bool) -> None:
    """Commit (`ok`) or roll back the current context's session: the one place a request or a command ends its
    unit of work. Callbacks registered with `after_commit` run after a commit; their work is committed too."""
    callbacks = g.pop("after_commit", [])
    session = g.get("db_session")
    if not ok:
        if session is not None:
            session.rollback()
        return
    if session is not None and not callbacks and not _has_work(session):
        return  # a read: nothing to commit (teardown closes the session; PostgreSQL's reads are in autocommit)
    while True:
        if session is not None:
            session.commit()
        if not callbacks:
            return
        session = get_session()
        for callback in callbacks:
            callback(session)
        callbacks = g.pop("after_commit", [])


@contextmanager
def own_transaction() -> Iterator[Session]:
    """A short transaction of its own, committed when the block ends, whatever becomes of the request's.

    For what must outlive the request's rollback: a sign-in attempt counted by the lockout, a refused attempt on
    the audit trail, a member of staff viewing a case. It is the only place besides the request and command
    boundaries that commits. On SQLite (one writer at a time) the request's own transaction, if it has only read
    so far, is ended first so that this one can take the write lock; it must not have written yet.
    """
    outer = g.get("db_session") if has_app_context() else None
    if (
        outer is not None
        and write_intent.get()  # a read (deferred BEGIN) does not stand in a writer's way
        and outer.get_bind().dialect.name == "sqlite"
        and outer.in_transaction()
    ):
        if outer.info.get("wrote") or outer.new or outer.deleted or outer.dirty:
            raise RuntimeError(
                "a transaction of its own must come before the request writes anything (SQLite)"
            )
        # Only reads so far: ending the transaction loses nothing and frees the write lock. Ended by a commit (of
        # nothing) rather than a rollback so that the objects read stay loaded instead of expiring.
        outer.commit()
    token = write_intent.set(True)
    try:
        with Session(bind=current_app.extensions["db_engine"], expire_on_commit=False) as session:
            yield session
            session.commit()
    finally:
        write_intent.reset(token)


class _SessionProxy:
    """`db.session` style access to the current context's session."""

    def __getattr__(self, name):
        return getattr(get_session(), name)


session: Session = _SessionProxy()  # type: ignore[assignment]
