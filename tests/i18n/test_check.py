"""``python -m server.i18n_check``: passes on the real catalogs, fails on each kind of gap (on a small copy)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from server import i18n_check

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_catalogs_are_complete():
    found = i18n_check.problems(ROOT)
    assert found == [], ("Translations are missing; run `make i18n-update` and translate:\n" + "\n".join(found[:50]))


def test_the_makefile_extracts_with_the_same_keywords_and_ignores_as_the_check():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    keywords = re.search(r"^BABEL_KEYWORDS := (.*)$", makefile, re.M).group(1).split()
    assert [k for k in keywords if k != "-k"] == list(i18n_check.EXTRA_KEYWORDS)
    ignored = re.search(r"^BABEL_IGNORE := (.*)$", makefile, re.M).group(1).split()
    assert ignored == list(i18n_check.IGNORED_DIRS)


def _project(tmp_path: Path, *, id_strings: dict[str, str], en_strings: dict[str, str],
             flags: dict[str, set[str]] | None = None) -> Path:
    """A tiny project: one code string, one form with two content strings, and the two catalogs."""
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "views.py").write_text('_("Hello %(name)s")\n_("Save")\n', encoding="utf-8")
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "uji.schema.json").write_text(json.dumps(
        {"title": "Formulir uji", "properties": {"nama": {"title": "Nama lengkap"}}}), encoding="utf-8")
    (tmp_path / "workflows").mkdir()
    for locale, strings in (("id", id_strings), ("en", en_strings)):
        catalog = Catalog(locale=locale, fuzzy=False)
        for msgid, msgstr in strings.items():
            catalog.add(msgid, msgstr, flags=(flags or {}).get(f"{locale}:{msgid}", set()))
        path = i18n_check.po_path(tmp_path, locale)
        path.parent.mkdir(parents=True)
        with path.open("wb") as fh:
            write_po(fh, catalog)
    return tmp_path


COMPLETE_ID = {"Hello %(name)s": "Halo %(name)s", "Save": "Simpan", "Formulir uji": "Formulir uji",
               "Nama lengkap": "Nama lengkap"}
COMPLETE_EN = {"Hello %(name)s": "Hello %(name)s", "Save": "Save", "Formulir uji": "Test form",
               "Nama lengkap": "Full name"}


def test_complete_catalogs_pass(tmp_path):
    assert i18n_check.problems(_project(tmp_path, id_strings=COMPLETE_ID, en_strings=COMPLETE_EN)) == []


def test_a_missing_translation_fails(tmp_path):
    root = _project(tmp_path, id_strings={**COMPLETE_ID, "Save": ""}, en_strings=COMPLETE_EN)
    assert i18n_check.problems(root) == ["id: 'Save' (server/views.py:2) has no translation"]


def test_a_fuzzy_translation_fails(tmp_path):
    root = _project(tmp_path, id_strings=COMPLETE_ID, en_strings=COMPLETE_EN, flags={"id:Save": {"fuzzy"}})
    [problem] = i18n_check.problems(root)
    assert problem.startswith("id: 'Save'") and "fuzzy" in problem


def test_an_untranslated_string_of_a_shipped_definition_fails(tmp_path):
    root = _project(tmp_path, id_strings=COMPLETE_ID, en_strings={**COMPLETE_EN, "Nama lengkap": ""})
    assert i18n_check.problems(root) == [
        "en: 'Nama lengkap' (forms/uji.schema.json:1) has no translation of a shipped definition's string"]


def test_a_string_added_since_the_last_update_fails(tmp_path):
    root = _project(tmp_path, id_strings=COMPLETE_ID, en_strings=COMPLETE_EN)
    (root / "server" / "views.py").write_text('_("Hello %(name)s")\n_("Save")\n_("Delete")\n', encoding="utf-8")
    found = i18n_check.problems(root)
    assert len(found) == 2 and all("'Delete'" in line and "not in the catalog" in line for line in found)


def test_a_dropped_placeholder_fails(tmp_path):
    root = _project(tmp_path, id_strings={**COMPLETE_ID, "Hello %(name)s": "Halo"}, en_strings=COMPLETE_EN)
    [problem] = i18n_check.problems(root)
    assert "drops placeholder(s): name" in problem


def test_fill_source_copies_each_string_into_its_own_language_only(tmp_path):
    empty = dict.fromkeys(COMPLETE_ID, "")
    root = _project(tmp_path, id_strings=empty, en_strings=dict.fromkeys(COMPLETE_EN, ""))
    assert i18n_check.fill_source(root) == 4
    with i18n_check.po_path(root, "id").open("rb") as fh:
        id_catalog = read_po(fh)
    with i18n_check.po_path(root, "en").open("rb") as fh:
        en_catalog = read_po(fh)
    assert id_catalog.get("Formulir uji").string == "Formulir uji"  # content is written in Indonesian
    assert id_catalog.get("Save").string == ""                        # code needs a translator
    assert en_catalog.get("Save").string == "Save"                    # code is written in English
    assert en_catalog.get("Nama lengkap").string == ""                # content needs a translator
    assert sorted(line.split(" (")[0] for line in i18n_check.problems(root)) == [
        "en: 'Formulir uji'", "en: 'Nama lengkap'", "id: 'Hello %(name)s'", "id: 'Save'"]


def test_main_exits_non_zero_and_explains_the_fix(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path, id_strings={**COMPLETE_ID, "Save": ""}, en_strings=COMPLETE_EN)
    monkeypatch.setattr(i18n_check, "ROOT", root)
    assert i18n_check.main([]) == 1
    captured = capsys.readouterr()
    assert "'Save'" in captured.out and "make i18n-update" in captured.err


@pytest.mark.parametrize("locale", ["id", "en"])
def test_catalog_headers_are_not_fuzzy(locale):
    with i18n_check.po_path(ROOT, locale).open("rb") as fh:
        assert not read_po(fh).fuzzy  # pybabel compile would skip a catalog with a fuzzy header
