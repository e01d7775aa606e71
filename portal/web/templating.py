"""Template globals: the language switcher, the borrower's variant, and escaped translations."""

from __future__ import annotations

from datetime import date

from flask import Flask, request
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup, escape

from portal import db
from portal.applications.calculation import stored_verdict
from portal.applications.serialisation import schedule_from_json, stored_story
from portal.domain.money import from_fen
from portal.domain.paynow import pay_now
from portal.i18n import current_language, gettext, labels, ngettext, page_variant, percent, translations
from portal.people import branches
from portal.web.forms import LanguageForm


def variant() -> str:
    """The wording variant of this page (portal.i18n.page_variant): an application's own, the signed-in
    borrower's, or urban for everyone else."""
    return page_variant()


def _escaped_gettext(message: str) -> str:
    # Translations are text, not markup: a catalog entry can never inject HTML into a page.
    return escape(translations().ugettext(message))


def _escaped_ngettext(singular: str, plural: str, n: int) -> str:
    return escape(translations().ungettext(singular, plural, n))


def _escaped_pgettext(context: str, message: str) -> str:
    return escape(translations().upgettext(context, message))


def init_app(app: Flask) -> None:
    """Install the template globals."""
    app.jinja_env.install_gettext_callables(
        _escaped_gettext, _escaped_ngettext, newstyle=True, pgettext=_escaped_pgettext
    )

    app.jinja_env.filters["fen"] = from_fen
    app.jinja_env.filters["isodate"] = lambda value: date.fromisoformat(value) if value else None
    app.jinja_env.filters["schedule_rows"] = schedule_from_json
    app.jinja_env.filters["month_name"] = lambda n: str(labels.MONTHS.get(int(n), n))
    app.jinja_env.filters["percent"] = percent

    app.jinja_env.globals["actor_label"] = actor_label
    app.jinja_env.globals["help_branch"] = help_branch
    app.jinja_env.globals["sla"] = sla
    app.jinja_env.globals["paren"] = paren
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.globals["error_title_prefix"] = error_title_prefix
    app.jinja_env.globals["labels"] = labels  # every table of labels, for pages and macros alike
    app.jinja_env.globals["pay_now"] = pay_now  # what to pay now, from a loan's arrears report
    # A stored quote's or agreement's payments as a person reads them, and whether they fit the budget.
    app.jinja_env.globals["plan_story"] = stored_story
    app.jinja_env.globals["plan_verdict"] = stored_verdict
    # A table of labels (lazy translations) as plain text in this request's language, for a loop to reuse.
    app.jinja_env.filters["evaluated"] = lambda table: {key: str(value) for key, value in table.items()}

    @app.context_processor
    def _globals():
        form = LanguageForm(formdata=None)
        form.next.data = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return {
            "language_form": form,
            "variant": variant(),
            "config_phone": app.config["INSTITUTION_PHONE"],
        }


def paren(text) -> Markup:
    """A remark in brackets after a word: full-width and without a space in Chinese, "(...)" after a space in
    English (STYLE.md: Chinese text uses full-width punctuation)."""
    if current_language().startswith("zh"):
        return Markup("（%s）") % text
    return Markup(" (%s)") % text


def colon() -> str:
    """The colon between a label and what follows it, in this request's language."""
    return "：" if current_language().startswith("zh") else ": "


def _has_errors(value) -> bool:
    """Whether a form (or a dict of a page's forms) came back with errors."""
    if isinstance(value, FlaskForm):
        return bool(value.errors)
    if isinstance(value, dict):
        return any(isinstance(item, FlaskForm) and item.errors for item in value.values())
    return False


@pass_context
def error_title_prefix(context) -> str:
    """ "Error: " before the page title when a form on the page came back with errors, so a screen reader says
    so first (GOV.UK's pattern); nothing otherwise. The header's language form never counts."""
    for name, value in context.items():
        if name != "language_form" and _has_errors(value):
            word = _escaped_gettext("Error:")
            return word if word.endswith("：") else word + " "  # Chinese: no space after a full-width colon
    return ""


def help_branch(branch_id: int | None):
    """A branch's card for the footer (portal/people/branches.py: read once a minute, not with every session check)."""
    return branches.card(db.session, branch_id)


def actor_label(actor: str | None, names: dict[str, str] | None = None) -> str:
    """A person in the audit trail as staff read it: a colleague by name (from `names`, the staff names loaded
    with the rows: portal.applications.queries.history), a borrower or the system by role."""
    kind = (actor or "").partition(":")[0]
    if kind == "staff":
        return (names or {}).get(actor) or gettext("staff")
    if kind == "borrower":
        return gettext("the borrower")
    return gettext("the system")


def sla(due: date | None, today: date) -> Markup:
    """How long until (or since) a decision is due, as the queue and the case show it (a function, not a
    macro: the queue shows it on every row)."""
    if not due:
        return Markup("")
    days = (due - today).days
    if days > 0:
        return Markup('<span class="sla">%s</span>') % ngettext(
            "due in %(num)d day", "due in %(num)d days", days
        )
    if days == 0:
        return Markup('<span class="sla sla-today">%s</span>') % gettext("due today")
    return Markup('<span class="sla sla-late">%s</span>') % ngettext(
        "%(num)d day late", "%(num)d days late", -days
    )
