"""`flask i18n extract|update|compile|check`: one place for translators, and a check CI runs.

`check` fails when a catalog has an untranslated or fuzzy entry, a placeholder that differs from the source,
or when the catalog template is older than the code (a message in the code that is not in messages.pot).
"""

from __future__ import annotations

import re
import sys
from io import BytesIO
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

from portal.config import ROOT
from portal.i18n import LANGUAGES

TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "lazy_gettext": None,
    "_l": None,
    "lazy_pgettext": ((1, "c"), 2),
    "lazy_ngettext": (1, 2),
    # Variant-aware wording (portal.i18n.vgettext): the base entry here, its "rural" context entry added below.
    "_v": None,
    "vgettext": None,
    "lazy_vgettext": None,
}
VARIANT_KEYWORDS = {"_v": None, "vgettext": None, "lazy_vgettext": None}
# The contexts a variant-aware message gets an entry in (urban reads the base entry).
VARIANT_CONTEXTS = ("rural",)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")

i18n_cli = AppGroup("i18n", help="Translation catalogs.")


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def extract_catalog() -> Catalog:
    """Extract every message from the code and templates into a fresh catalog."""
    with open(TRANSLATIONS / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="arrears-relief-portal", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    # Every variant-aware message also gets an entry per variant context, for the variant's own wording.
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=VARIANT_KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        for variant in VARIANT_CONTEXTS:
            notes = [*comments, f"{variant} wording of the message above: plainer and shorter"]
            catalog.add(message, None, [(filename, lineno)], auto_comments=notes, context=variant)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def _read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def _shown(path: Path) -> str:
    """A path as the command reports it: relative to the project when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _keys(catalog: Catalog) -> set:
    return {(m.context, m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalog if m.id}


@i18n_cli.command("extract")
def extract() -> None:
    """Write translations/messages.pot from the code."""
    _write(extract_catalog(), POT)
    click.echo(f"Wrote {_shown(POT)}")


@i18n_cli.command("update")
def update() -> None:
    """Merge messages.pot into each language's catalog (new entries come in empty, to be translated)."""
    template = _read(POT)
    for lang in LANGUAGES:
        path = _po_path(lang)
        catalog = _read(path, lang) if path.exists() else Catalog(locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path)
        click.echo(f"Updated {_shown(path)}")


@i18n_cli.command("compile")
def compile_catalogs() -> None:
    """Compile each catalog to its .mo file."""
    for lang in LANGUAGES:
        catalog = _read(_po_path(lang), lang)
        with open(_po_path(lang).with_suffix(".mo"), "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    click.echo("Compiled " + ", ".join(LANGUAGES))


def problems() -> list[str]:
    """Everything `check` reports; empty when the catalogs are complete and current."""
    found: list[str] = []
    code_keys = _keys(extract_catalog())
    pot_keys = _keys(_read(POT)) if POT.exists() else set()
    for context, msgid in sorted(code_keys - pot_keys, key=str):
        found.append(
            f"messages.pot is stale: {msgid!r} (context {context}) is in the code, not in the template"
        )
    for context, msgid in sorted(pot_keys - code_keys, key=str):
        found.append(f"messages.pot is stale: {msgid!r} (context {context}) is no longer in the code")
    for lang in LANGUAGES:
        path = _po_path(lang)
        if not path.exists():
            found.append(f"{lang}: no catalog")
            continue
        catalog = _read(path, lang)
        for _context, msgid in sorted(pot_keys - _keys(catalog), key=str):
            found.append(f"{lang}: missing {msgid!r}")
        for message in catalog:
            if not message.id:
                continue
            label = f"{lang}: {message.id if isinstance(message.id, str) else message.id[0]!r}"
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            if message.fuzzy:
                found.append(f"{label} is fuzzy")
            if not all(strings):
                found.append(f"{label} is untranslated")
                continue
            sources = message.id if isinstance(message.id, tuple | list) else (message.id,)
            wanted = sorted(set(PLACEHOLDER.findall(" ".join(sources))))
            for text in strings:
                got = sorted(set(PLACEHOLDER.findall(text)))
                # A plural form may leave out the number ("one day"), never add a placeholder of its own.
                if got != wanted and not (len(sources) > 1 and set(got) <= set(wanted)):
                    found.append(f"{label} placeholders {got} differ from the source {wanted}")
            for error in message.check(catalog):
                found.append(f"{label}: {error}")
    return found


@i18n_cli.command("check")
def check() -> None:
    """Fail (exit 1) on untranslated, fuzzy or mismatched entries, or a stale template."""
    found = problems()
    for line in found:
        click.echo(line, err=True)
    if found:
        click.echo(f"{len(found)} problem(s) in the catalogs.", err=True)
        sys.exit(1)
    click.echo("Catalogs complete: " + ", ".join(LANGUAGES))
