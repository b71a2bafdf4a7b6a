"""French interface: the catalogue covers every message, and the app really speaks French.

The completeness test extracts the messages afresh (in-process, with babel.cfg and the same
keywords as the documented ``pybabel extract`` command), so it fails as soon as someone adds
a string to a template or a module without translating it in ``fr/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from flask.testing import FlaskClient

from callmp.config import REPO_ROOT
from callmp.i18n import french_spacing, french_typography_problems
from tests.support.app import compile_catalogues
from tests.support.html import one, parse, text

TRANSLATIONS = REPO_ROOT / "callmp" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
BABEL_CFG = REPO_ROOT / "babel.cfg"
#: The ``-k`` options of the documented ``pybabel extract`` command.
EXTRA_KEYWORDS = ("N_", "lazy_gettext")
CAMPAIGN = "/c/status-for-all"

# ``%%`` or a printf-style conversion, named or not (``%(name)s``, ``%s``, ``%.1f``...).
_FORMAT = re.compile(r"%%|%(?:\((\w+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrs]")


def extract_messages(root: Path = REPO_ROOT) -> Catalog:
    """The messages the source holds now, as ``pybabel extract -F babel.cfg`` finds them."""
    with BABEL_CFG.open(encoding="utf-8") as cfg:
        # Babel's own reader of the [method: pattern] sections; it has no type hints.
        method_map, options_map = parse_mapping_cfg(cfg, str(BABEL_CFG))  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    catalog = Catalog(project="CallMP")
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    """A .po or .pot file, parsed."""
    with path.open("rb") as po_file:
        return read_po(po_file, locale=locale)


def _texts(value: str | Iterable[str] | None) -> list[str]:
    """A message id or string as a list (plural messages hold several)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def format_tokens(value: str | Iterable[str] | None) -> set[str]:
    """The ``%(name)s`` placeholders and ``%%`` escapes in a message id or string."""
    return {match.group(0) for part in _texts(value) for match in _FORMAT.finditer(part)}


def placeholder_names(value: str | Iterable[str] | None) -> set[str]:
    """The names of the ``%(name)s`` placeholders in a message id or string."""
    return {
        match.group(1)
        for part in _texts(value)
        for match in _FORMAT.finditer(part)
        if match.group(1)
    }


def _label(message: Message) -> str:
    """A message id for an assertion message."""
    return repr(_texts(message.id)[0])


def translation_problems(template: Catalog, translated: Catalog) -> list[str]:
    """What is missing or wrong in ``translated`` for the messages of ``template``."""
    problems: list[str] = []
    for message in template:
        if not message.id:  # the header
            continue
        found = translated.get(message.id, message.context)
        if found is None:
            problems.append(f"not in the catalogue: {_label(message)}")
            continue
        strings = _texts(found.string)
        if not strings or not all(s.strip() for s in strings):
            problems.append(f"not translated: {_label(message)}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {_label(message)}")
        elif format_tokens(message.id) != format_tokens(found.string):
            problems.append(
                f"placeholders differ: {_label(message)} has "
                f"{sorted(format_tokens(message.id))}, the translation has "
                f"{sorted(format_tokens(found.string))}"
            )
    return problems


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A fresh extraction, written to a temporary .pot and read back like a real one."""
    pot_path = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pot_path.open("wb") as pot_file:
        write_po(pot_file, extract_messages(), sort_output=True, no_location=True)
    return read_catalog(pot_path)


@pytest.fixture(scope="module")
def french() -> Catalog:
    """The French catalogue as committed."""
    return read_catalog(FRENCH_PO, locale="fr")


def test_every_current_message_has_a_french_translation(
    extracted: Catalog, french: Catalog
) -> None:
    assert len(extracted) > 0
    problems = translation_problems(extracted, french)
    assert not problems, (
        "Update callmp/translations/fr/LC_MESSAGES/messages.po (pybabel extract, then "
        "pybabel update) and translate:\n" + "\n".join(problems)
    )


def test_french_catalogue_is_usable_as_a_whole(french: Catalog) -> None:
    # A fuzzy header makes ``pybabel compile`` skip the whole catalogue.
    assert not french.fuzzy
    assert str(french.locale) == "fr"
    assert [error for _message, errors in french.check() for error in errors] == []
    for message in french:
        if message.id and message.python_format:
            values = dict.fromkeys(placeholder_names(message.id), "x")
            for string in _texts(message.string):
                assert "x" in string % values  # raises on a stray or broken %


def test_completeness_check_flags_a_new_untranslated_string(french: Catalog) -> None:
    template = Catalog()
    for message in french:
        if message.id:
            template.add(message.id, context=message.context)
    assert translation_problems(template, french) == []
    template.add("A brand new sentence nobody translated yet.")
    template.add("Hello %(name)s")
    french_copy = read_catalog(FRENCH_PO, locale="fr")
    french_copy.add("Hello %(name)s", "Bonjour %(nom)s")
    assert translation_problems(template, french_copy) == [
        "not in the catalogue: 'A brand new sentence nobody translated yet.'",
        "placeholders differ: 'Hello %(name)s' has ['%(name)s'], the translation has ['%(nom)s']",
    ]


def test_compile_catalogues_skips_an_up_to_date_mo(tmp_path: Path) -> None:
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_bytes(FRENCH_PO.read_bytes())
    assert compile_catalogues(tmp_path) == [po_path.with_suffix(".mo")]
    assert compile_catalogues(tmp_path) == []
    os.utime(po_path, (po_path.stat().st_atime, po_path.stat().st_mtime + 10))
    assert compile_catalogues(tmp_path) == [po_path.with_suffix(".mo")]


def test_campaign_page_in_french(client: FlaskClient) -> None:
    response = client.get(f"{CAMPAIGN}?lang=fr")
    assert response.status_code == 200
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == "fr"
    field = one(soup, "input[name=postal_code]")
    assert text(one(soup, f"label[for={field['id']}]")) == "Votre code postal"
    assert text(one(soup, "form.lookup button[type=submit]")) == "Trouver mon ou ma député·e"


def test_quebec_browser_gets_french_without_choosing(client: FlaskClient) -> None:
    response = client.get(CAMPAIGN, headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == "fr"
    field = one(soup, "input[name=postal_code]")
    assert text(one(soup, f"label[for={field['id']}]")) == "Votre code postal"


def test_postal_code_error_in_french_next_to_the_field(client: FlaskClient) -> None:
    client.get(f"{CAMPAIGN}?lang=fr")  # the choice is remembered in the session
    response = client.post(CAMPAIGN, data={"postal_code": "90210"})
    assert response.status_code == 400
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == "fr"
    field = one(soup, "input[name=postal_code]")
    error = one(soup, f"#{field['id']}-error")
    assert error.find_parent("div", class_="field") is field.find_parent("div", class_="field")
    assert str(error["id"]) in str(field["aria-describedby"]).split()
    assert field["aria-invalid"] == "true"
    assert text(error) == (
        "Ceci ressemble à un code ZIP américain. Entrez un code postal canadien, comme K1A 0A6."
    )


def test_api_error_in_french(client: FlaskClient) -> None:
    response = client.get("/api/v1/lookup?postal_code=K1D0A6&lang=fr")
    assert response.status_code == 400
    body = response.get_json()
    assert body["reason"] == "bad_letter"
    assert body["error"] == (
        "Les codes postaux canadiens n'utilisent jamais la lettre D. Vérifiez votre code postal."
    )


def test_french_catalogue_keeps_french_typography(french: Catalog) -> None:
    problems = [
        f"{problem}: {string!r}"
        for message in french
        if message.id
        for string in _texts(message.string)
        for problem in french_typography_problems(string)
    ]
    assert not problems, "run scripts/french_typography.py --fix:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Pourquoi ? Parce que !", "Pourquoi\u00a0? Parce que\u00a0!"),
        ("Note : « oui » ; fin", "Note\u00a0: «\u00a0oui\u00a0»\u00a0; fin"),
        ("de 09:00 à 17:00", "de 09:00 à 17:00"),
        ("voir https://example.org/?ref=a", "voir https://example.org/?ref=a"),
        ("liens terminés par ?ref=code", "liens terminés par ?ref=code"),
        ("Déjà\u00a0: bien", "Déjà\u00a0: bien"),
    ],
)
def test_french_spacing_makes_typed_spaces_no_break(typed: str, expected: str) -> None:
    assert french_spacing(typed) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Vraiment?", ["no space before '?'"]),
        ("Objet : le climat", ["ordinary space"]),
        ('Dites "oui"', ["straight quotes"]),
        ("À 09:00, voir https://x.org/?ref=b\u00a0!", []),
    ],
)
def test_french_typography_problems_names_each_fault(text: str, found: list[str]) -> None:
    problems = french_typography_problems(text)
    assert len(problems) == len(found)
    for problem, start in zip(problems, found, strict=True):
        assert start in problem
