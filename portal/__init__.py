"""The arrears relief portal: `create_app` builds the Flask application."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as config_module
from portal import (
    db,
    i18n,
    models,  # noqa: F401 - every feature's tables on Base.metadata, their relationships resolvable
)
from portal.i18n import gettext as _
from portal.web import page_cache

csrf = CSRFProtect()
RETRY_AFTER_SECONDS = 5  # a PostgreSQL restart or failover takes a few seconds
log = logging.getLogger("portal")

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment (portal/config.py), with `overrides` applied last (tests)."""
    settings = config_module.load(overrides)
    root = config_module.ROOT
    app = Flask(
        __name__,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        instance_path=str(root / "instance"),
    )
    app.config.update(settings)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.add_extension("jinja2.ext.i18n")

    if app.config["PORTAL_ENV"] == "testing":
        from portal.auth import passwords

        passwords.use_test_cost()
    _configure_logging(app)
    db.init_app(app)
    i18n.init_app(app, acting_variant=_acting_variant)
    csrf.init_app(app)
    page_cache.init_app(app)

    from portal.auth import sessions

    sessions.init_app(app)

    # Each blueprint package attaches its own route modules to its blueprint when imported.
    from portal.agents.views import bp as agents_bp
    from portal.auth.views import bp as auth_bp
    from portal.borrower import bp as borrower_bp
    from portal.staff import bp as staff_bp

    for blueprint in (auth_bp, borrower_bp, staff_bp, agents_bp):
        app.register_blueprint(blueprint)

    _security_headers(app)
    _error_pages(app)

    from portal import cli

    cli.init_app(app)

    from portal.web.templating import init_app as init_templating

    init_templating(app)
    return app


def _acting_variant() -> str | None:
    """The variant of the borrower a phone agent acts for on this request (None when nobody is): what
    portal.i18n.page_variant needs from the access layer, handed in here so i18n imports no blueprint."""
    from portal.auth.access import acting

    who = acting()
    return who.borrower.variant if who is not None else None


def _escape_newlines(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _escape_arg(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value  # keeps %d and %.2f working
    return _escape_newlines(str(value))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        # A newline in user input must not start a forged log line: escape it in the message and in every
        # argument, whatever its type (an exception's text can carry user input too).
        if isinstance(record.msg, str):
            record.msg = _escape_newlines(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _escape_arg(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_escape_arg(value) for value in record.args)
        return True


def _configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(_RequestIdFilter())
    root_logger = logging.getLogger("portal")
    if not any(isinstance(h, logging.StreamHandler) for h in root_logger.handlers):
        root_logger.addHandler(handler)
    root_logger.setLevel(logging.INFO)

    @app.before_request
    def _request_id():
        g.request_id = str(uuid.uuid4())


def _security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if g.get("request_id"):
            response.headers["X-Request-Id"] = g.request_id
        return response


def _error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template(
            "errors/error.html", status=status, title=title, message=message, reference=g.get("request_id")
        ), status

    @app.errorhandler(404)
    def _not_found(_e):
        return page(
            404,
            _("Page not found"),
            _(
                "If you typed the address, check it is correct. If you followed a "
                "link, you may need to sign in first."
            ),
        )

    @app.errorhandler(405)
    def _not_allowed(_e):
        return page(405, _("That did not work"), _("This page cannot be used that way."))

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return page(
            400,
            _("The form had expired"),
            _("For your safety the form expired. Go back, reload the page and try again."),
        )

    @app.errorhandler(400)
    def _bad_request(_e):
        return page(
            400, _("That did not work"), _("The request could not be understood. Go back and try again.")
        )

    @app.errorhandler(413)
    def _too_large(_e):
        return page(413, _("The file is too large"), _("Each file can be at most 10 MB."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(error):
        return _unavailable(error)

    def _unavailable(error):
        # The database is restarting, unreachable or busy: nothing of this request was kept (the unit of work
        # rolls back on the error status), and the same request will work again shortly, so say "try again" with
        # Retry-After rather than "something went wrong". The page must not need the database itself.
        log.warning("database unavailable: %s", type(error).__name__)
        try:
            db.session.rollback()
        except DBAPIError:
            log.warning("rollback failed: the connection is gone")
        # Render as nobody: loading the user needs the database, and a user already loaded was expired by the
        # rollback above, so reading any of their attributes would ask the database again.
        g._login_user = app.login_manager.anonymous_user()
        body, status = page(
            503,
            _("The service is busy for a moment"),
            _(
                "Nothing was saved. Please wait a few seconds and try again. If it keeps happening, call us "
                "and give this reference."
            ),
        )
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(500)
    def _server_error(e):
        # A commit that fails at the request's end arrives here wrapped, not at the handlers above.
        original = getattr(e, "original_exception", None)
        if isinstance(original, OperationalError | InterfaceError | PoolTimeout) or (
            isinstance(original, DBAPIError) and original.connection_invalidated
        ):
            return _unavailable(original)
        db.session.rollback()
        return page(
            500,
            _("Sorry, something went wrong"),
            _(
                "Nothing was saved. Please try again in a few "
                "minutes. If it keeps happening, call us and give "
                "this reference."
            ),
        )
