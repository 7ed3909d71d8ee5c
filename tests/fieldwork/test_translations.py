import gettext
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["ru", "kk", "zh_Hans"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_interface_message_is_translated(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 50
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    for entry in catalogue:
        if not entry.msgid_plural:
            assert entry.msgstr != entry.msgid, entry.msgid


def _is_stale(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> bool:
    if not entry.msgid_plural:
        return compiled.gettext(entry.msgid) != entry.msgstr
    forms = set(entry.msgstr_plural.values())
    return any(
        compiled.ngettext(entry.msgid, entry.msgid_plural, n) not in forms for n in (1, 2, 5)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    source = polib.pofile(str(folder / "django.po"))
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [entry.msgid for entry in source if _is_stale(compiled, entry)]
    assert stale == [], "run: .venv/bin/python manage.py compilemessages --ignore=.venv"
