"""Every UI string has a Chinese translation, and the catalogue is in step with the code."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lms.config import REPO_ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("lms/**.py", "python"), ("templates/**.html", "jinja2")]


def _extracted() -> set[str]:
    found = set()
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
            str(REPO_ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        if filename.startswith(("lms", "templates")):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(lang: str):
    path = Path(REPO_ROOT / "lms" / "translations" / lang / "LC_MESSAGES" / "messages.po")
    with path.open("rb") as fh:
        return read_po(fh)


def test_every_ui_string_has_a_chinese_translation():
    strings = _extracted()
    assert len(strings) > 200
    cat = _catalogue("zh_Hans")
    def untranslated(s):
        text = cat[s].string if s in cat else ""
        return not (text if isinstance(text, str) else all(text)) or cat[s].fuzzy
    missing = sorted(s for s in strings if untranslated(s))
    assert missing == [], f"{len(missing)} strings lack a Chinese translation, e.g. {missing[:5]}"


def test_placeholders_survive_translation():
    import re
    cat = _catalogue("zh_Hans")
    pattern = re.compile(r"%\(\w+\)[sd]")
    for msg in cat:
        if msg.id and msg.string:
            msgid = msg.id if isinstance(msg.id, str) else msg.id[0]
            msgstr = msg.string if isinstance(msg.string, str) else msg.string[0]
            assert sorted(pattern.findall(msgid)) == sorted(pattern.findall(msgstr)), msgid


def test_compiled_catalogue_is_current():
    from babel.messages.mofile import read_mo
    mo_path = REPO_ROOT / "lms/translations/zh_Hans/LC_MESSAGES/messages.mo"
    with mo_path.open("rb") as fh:
        mo = read_mo(fh)
    po = _catalogue("zh_Hans")

    def entries(cat):       # plural entries have a tuple (po) or a list (mo) of ids and of forms
        return {(m.id if isinstance(m.id, str) else tuple(m.id)): (m.string if isinstance(m.string, str)
                                                                  else tuple(m.string))
                for m in cat if m.id and m.string}
    assert entries(po) == entries(mo), "messages.mo is out of date: run `make translations`"
