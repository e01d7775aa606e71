"""`flask i18n check` fails on an untranslated or fuzzy entry, a placeholder that differs from the source, or a
template older than the code; each is tried on a temporary copy of the catalogs, never on the real ones.

What the code holds (`extract_catalog`, a scan of every source file and template that took most of each test's
time) is read once for the module: no test here changes the code, only the catalogs."""

from __future__ import annotations

import copy
import shutil
from io import BytesIO

import pytest
from babel.messages.pofile import read_po, write_po

from portal.cli import i18n as i18n_cli
from portal.config import ROOT

MESSAGE = "Need help?"


@pytest.fixture(scope="module")
def code_catalog():
    """The messages in the code, as `flask i18n extract` finds them (read once: the code does not change here)."""
    return i18n_cli.extract_catalog()


@pytest.fixture
def catalogs(tmp_path, monkeypatch, code_catalog):
    """A copy of translations/ that `flask i18n ...` reads and writes instead of the real one."""
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n_cli, "TRANSLATIONS", folder)
    monkeypatch.setattr(i18n_cli, "POT", folder / "messages.pot")
    monkeypatch.setattr(i18n_cli, "extract_catalog", lambda: copy.deepcopy(code_catalog))
    return folder


def _edit(path, change) -> None:
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    change(catalog)
    buffer = BytesIO()
    write_po(buffer, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(buffer.getvalue())


def _check(app):
    return app.test_cli_runner().invoke(args=["i18n", "check"])


def _po(catalogs, lang: str = "zh_Hans"):
    return catalogs / lang / "LC_MESSAGES" / "messages.po"


def test_check_passes_on_the_catalogs_as_committed(app, catalogs):
    result = _check(app)

    assert result.exit_code == 0, result.output
    assert "Catalogs complete" in result.output


def test_an_untranslated_entry_fails_the_check(app, catalogs):
    _edit(_po(catalogs), lambda c: setattr(c.get(MESSAGE), "string", ""))

    result = _check(app)

    assert result.exit_code == 1
    assert f"zh_Hans: {MESSAGE!r} is untranslated" in result.output


def test_an_untranslated_rural_entry_fails_the_check(app, catalogs):
    _edit(_po(catalogs, "zh_Hant"), lambda c: setattr(c.get(MESSAGE, context="rural"), "string", ""))

    result = _check(app)

    assert result.exit_code == 1
    assert f"zh_Hant: {MESSAGE!r} is untranslated" in result.output


def test_a_fuzzy_entry_fails_the_check(app, catalogs):
    _edit(_po(catalogs, "en"), lambda c: c.get(MESSAGE).flags.add("fuzzy"))

    result = _check(app)

    assert result.exit_code == 1
    assert f"en: {MESSAGE!r} is fuzzy" in result.output


def test_a_placeholder_that_differs_from_the_source_fails_the_check(app, catalogs):
    source = "Loan %(number)s"

    def rename(catalog):
        catalog.get(source).string = "贷款%(numbr)s"

    _edit(_po(catalogs), rename)

    result = _check(app)

    assert result.exit_code == 1
    assert "placeholders ['numbr'] differ from the source ['number']" in result.output


def test_a_dropped_placeholder_fails_the_check(app, catalogs):
    _edit(_po(catalogs), lambda c: setattr(c.get("Loan %(number)s"), "string", "贷款"))

    result = _check(app)

    assert result.exit_code == 1
    assert "differ from the source" in result.output


def test_a_template_older_than_the_code_fails_the_check(app, catalogs):
    def forget(catalog):
        catalog.delete(MESSAGE, context="rural")

    _edit(catalogs / "messages.pot", forget)

    result = _check(app)

    assert result.exit_code == 1
    assert f"messages.pot is stale: {MESSAGE!r} (context rural) is in the code" in result.output


def test_a_template_entry_gone_from_the_code_fails_the_check(app, catalogs):
    _edit(catalogs / "messages.pot", lambda c: c.add("A message no code uses any more"))

    result = _check(app)

    assert result.exit_code == 1
    assert "'A message no code uses any more' (context None) is no longer in the code" in result.output


def test_extract_then_update_brings_a_new_message_in_empty_so_check_fails_until_translated(app, catalogs):
    def forget_everywhere(catalog):
        catalog.delete(MESSAGE)

    for lang in ("zh_Hans", "zh_Hant", "en"):
        _edit(_po(catalogs, lang), forget_everywhere)
    runner = app.test_cli_runner()

    assert runner.invoke(args=["i18n", "extract"]).exit_code == 0
    assert runner.invoke(args=["i18n", "update"]).exit_code == 0
    result = _check(app)

    assert result.exit_code == 1
    assert f"zh_Hans: {MESSAGE!r} is untranslated" in result.output
    with open(_po(catalogs), "rb") as handle:
        assert read_po(handle).get(MESSAGE).string == ""
