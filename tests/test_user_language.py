"""The language a user picks follows them: saved with their account, it wins over a shared
tablet's cookie and the browser, on every device, from their next login on."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from production.accounts.middleware import SESSION_KEY
from production.accounts.models import UserSettings
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
GERMAN_BROWSER = {"Accept-Language": "de-DE,de"}


def _lang(client: Client) -> str:
    html = client.get(reverse("kanban:scan"), headers=GERMAN_BROWSER).content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_picked_language_is_saved_and_follows_the_user_to_another_device(operator) -> None:  # type: ignore[no-untyped-def]
    tablet = Client()
    tablet.force_login(operator)
    assert _lang(tablet) == "de"  # nothing saved: the browser's
    tablet.post(reverse("set_language"), {"language": "es", "next": "/scan/"})
    assert UserSettings.objects.get(user=operator).language == "es"

    other = Client()  # another device: no cookie, a German browser
    other.force_login(operator)
    assert _lang(other) == "es"


def test_on_a_shared_tablet_each_user_sees_their_own_language(operator) -> None:  # type: ignore[no-untyped-def]
    anna = UserFactory(username="anna", roles=["operator"])
    UserSettings.objects.create(user=operator, language="es")
    tablet = Client()
    tablet.force_login(anna)
    tablet.post(reverse("set_language"), {"language": "en", "next": "/scan/"})  # cookie: en
    assert _lang(tablet) == "en"
    tablet.logout()
    tablet.force_login(operator)
    assert _lang(tablet) == "es"  # the device's cookie says en; olga's choice wins
    tablet.logout()
    tablet.force_login(anna)
    assert _lang(tablet) == "en"


def test_the_saved_language_costs_one_query_per_session(
    operator, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    UserSettings.objects.create(user=operator, language="de")
    client = Client()
    client.force_login(operator)
    assert _lang(client) == "de"
    assert client.session[SESSION_KEY] == "de"
    from production.accounts.middleware import user_language

    class Request:
        user = operator
        session = {SESSION_KEY: "de"}

    with django_assert_num_queries(0):
        assert user_language(Request()) == "de"  # type: ignore[arg-type]


def test_an_unknown_language_is_not_saved(operator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(operator)
    client.post(reverse("set_language"), {"language": "xx", "next": "/scan/"})
    assert not UserSettings.objects.exists()
    assert _lang(client) == "de"
