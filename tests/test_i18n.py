"""The operator's language: the shop-floor pages, their messages and the scripts' strings
in English, German and Spanish, complete; the language picked by the browser or by the
user; times in the plant's time zone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from kanban.scan_views import RECENT_KEY

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("de", "es")
# The shop floor's own templates: every word an operator reads goes through gettext.
SHOP_FLOOR_TEMPLATES = [
    "base.html",
    "home.html",
    "403.html",
    "404.html",
    "503.html",
    "registration/login.html",
    "registration/locked_out.html",
    "kanban/board_index.html",
    "kanban/scan.html",
    "kanban/_scan_result.html",
    "kanban/_scan_recent.html",
    "kanban/_offline_queue.html",
    "kanban/print.html",
    "kanban/lost_cards.html",
    "kanban/board.html",
    "kanban/_columns.html",
    "kanban/_board_head.html",
    "kanban/_lane.html",
    "kanban/_push_orders.html",
    "kanban/card.html",
    "kanban/signals.html",
    "400.html",
]
# Words that are the same in every language: names, codes, units of the page.
UNTRANSLATABLE = {"Pullboard", "A4", "PB-CARD", "QR", "WO-", "Tab", "Enter"}


def _po_entries(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstrs, fuzzy) of every entry but the header."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            strs = [value for name, value in fields.items() if name.startswith("msgstr")]
            entries.append((fields["msgid"], strs, fuzzy))
    return entries


@pytest.fixture(scope="module")
def fresh_catalogs(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """makemessages run on a copy of the source: the catalogs as the code needs them."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: apt-get install gettext (see README)")
    copy = tmp_path_factory.mktemp("i18n") / "src"
    for name in ("config", "production", "kanban", "templates", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("*.mo"))
    (copy / "static").mkdir()
    shutil.copytree(ROOT / "static" / "js", copy / "static" / "js")
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    languages = [arg for lang in LANGUAGES for arg in ("-l", lang)]
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-d", domain, *languages, "-v", "0"],
            cwd=copy,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONUTF8": "1", "LC_ALL": "C.UTF-8"},
        )
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_string_of_the_code_is_translated(fresh_catalogs, language, domain):  # type: ignore[no-untyped-def]
    entries = _po_entries(fresh_catalogs / language / "LC_MESSAGES" / f"{domain}.po")
    assert entries, "no strings found: is makemessages looking at the code?"
    untranslated = [msgid for msgid, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert untranslated == [], f"{language}/{domain}.po lacks translations for {untranslated}"


def _words_outside_gettext(source: str) -> list[str]:
    text = re.sub(r"{%\s*block body_class\s*%}.*?{%\s*endblock\s*%}", " ", source)
    text = re.sub(r"{%\s*blocktranslate.*?endblocktranslate\s*%}", " ", text, flags=re.S)
    text = re.sub(r"{%\s*translate\s+(['\"]).*?\1\s*%}", " ", text)
    text = re.sub(r"{#.*?#}", " ", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"&\w+;", " ", text)  # entities: arrows, dashes
    found = []
    # What a person reads in attributes...
    for value in re.findall(r'(?:aria-label|alt|title|placeholder)="([^"]*)"', text):
        found += re.findall(r"[A-Za-z]{2,}[\w'-]*", value)
    # ...and between tags (the contents of script and style elements excepted).
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    for chunk in re.sub(r"<[^>]*>", "\n", text).splitlines():
        found += re.findall(r"[A-Za-z]{2,}[\w'-]*", chunk)
    return [word for word in found if word not in UNTRANSLATABLE]


@pytest.mark.parametrize("name", SHOP_FLOOR_TEMPLATES)
def test_a_shop_floor_template_has_no_words_outside_gettext(name):  # type: ignore[no-untyped-def]
    source = (ROOT / "templates" / name).read_text(encoding="utf-8")
    assert _words_outside_gettext(source) == []


def test_the_checker_finds_a_word_left_in_english():  # type: ignore[no-untyped-def]
    assert _words_outside_gettext('<p>{% translate "Hello" %} Start</p>') == ["Start"]
    assert _words_outside_gettext('<img alt="QR code {{ x }}">') == ["code"]


@pytest.fixture
def operator_client(operator) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_the_browser_language_is_the_default_and_a_user_can_pick_another(operator_client, plant):  # type: ignore[no-untyped-def]
    page = operator_client.get(reverse("kanban:scan"), headers={"Accept-Language": "de-DE,de"})
    html = page.content.decode()
    assert '<html lang="de">' in html
    assert (
        "Karte scannen" in html and "Leer melden" in html and "Fertigmelden und einlagern" in html
    )
    operator_client.post(reverse("set_language"), {"language": "es", "next": "/scan/"})
    page = operator_client.get(reverse("kanban:scan"), headers={"Accept-Language": "de-DE,de"})
    html = page.content.decode()
    assert '<html lang="es">' in html and "Escanear una tarjeta" in html


@pytest.mark.django_db
def test_a_service_refusal_reaches_the_operator_in_their_language(operator_client, plant):  # type: ignore[no-untyped-def]
    card = plant.finished_loop.cards.get(number=1)
    response = operator_client.post(
        reverse("kanban:scan"),
        {"code": f"PB-CARD:{card.pk}", "mode": "start"},
        headers={"HX-Request": "true", "Accept-Language": "de"},
    )
    assert response.status_code == 409
    assert "im Modus „Starten“ nimmt ein Scan nur leere Karten" in response.content.decode()


@pytest.mark.django_db
def test_the_scripts_catalog_is_a_script_in_the_page_language(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("javascript-catalog"), headers={"Accept-Language": "es"})
    assert response["Content-Type"].startswith("text/javascript")
    assert "Esperando la conexi" in response.content.decode()


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Berlin")
def test_times_are_shown_in_the_plant_time_zone(operator_client, plant):  # type: ignore[no-untyped-def]
    session = operator_client.session
    at = datetime(2026, 12, 1, 5, 30, tzinfo=ZoneInfo("UTC"))
    session[RECENT_KEY] = [{"at": at.isoformat(), "outcome": "ok", "title": "F-100", "text": ""}]
    session.save()
    html = operator_client.get(reverse("kanban:scan"), headers={"Accept-Language": "de"})
    assert timezone.get_current_timezone_name() == "Europe/Berlin"
    assert ">06:30</time>" in html.content.decode()  # 05:30 UTC is 06:30 in Berlin
