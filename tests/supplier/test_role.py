"""The `supplier` role sees nothing of the plant: every page and endpoint of the site,
read from its URL patterns, refuses a supplier's user (403), by session and by token.

The routes are walked, not listed, so a page added later is covered without a change
here; the few routes that are not the plant's (login, language, health, the supplier's
own board and API) are named with what they answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver

from production.roles import SUPPLIER, has_role, roles_of
from production.supply.models import SupplierUser
from production.supply.portal.services import supplier_user_tie, supplier_user_untie
from tests.api.conftest import token_client
from tests.factories import UserFactory

MISSING = "999999999"
# Routes that are not the plant's: what a supplier's user gets from each (GET).
NOT_THE_PLANTS = {
    "": 302,  # home: sent on to its own board
    "login/": 302,  # already logged in: sent on
    "logout/": 405,  # POST only
    "i18n/setlang/": 302,
    "jsi18n/": 200,  # the scripts' strings
    "health/live": 200,
    "health/ready": 200,
    "health/": None,  # needs the metrics token, not a role
    "metrics": None,
    "api/v1/<rest>": 404,  # the API's catch-all: no such resource
}
OWN = ("supplier/", "api/v1/supplier/")


def _concrete(pattern: str) -> str:
    path = pattern.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<\w+>\[0-9\][^)]*\)", MISSING, path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "NOPE", path)
    path = re.sub(r"<int:\w+>", MISSING, path)
    path = re.sub(r"<(slug|str|path):\w+>", "nope", path)
    return path


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern == "admin/":
                continue  # Django's admin: checked on its own below
            yield from _routes(entry, prefix + pattern)
        elif isinstance(entry, URLPattern):
            if pattern == "^v1/" and prefix == "api/":
                yield "api/v1/<rest>"
            else:
                yield _concrete(prefix + pattern)


def plant_routes() -> list[str]:
    return sorted(
        {route for route in _routes() if route not in NOT_THE_PLANTS and not route.startswith(OWN)}
    )


def test_the_walk_finds_the_plants_pages_and_endpoints() -> None:
    routes = plant_routes()
    assert len(routes) >= 75  # the whole site, not a handful
    for known in ("boards/nope/", "scan/", "api/v1/cards/", "api/schema/", "dashboards/"):
        assert known in routes
    assert f"api/v1/work-orders/{MISSING}/start/" in routes


@pytest.mark.parametrize("route", plant_routes())
def test_every_plant_page_and_endpoint_refuses_a_supplier(route, acme_user, client) -> None:
    client.force_login(acme_user)
    api = token_client(acme_user)
    answers = []
    for method in ("get", "post"):
        answers.append((method, "session", getattr(client, method)(f"/{route}").status_code))
        if route.startswith("api/"):
            by_token = getattr(api, method)(f"/{route}", {}, format="json")
            answers.append((method, "token", by_token.status_code))
    # Refused, or a method the route does not serve at all (405 says nothing of the plant).
    assert {status for *_, status in answers} <= {403, 405}, answers
    assert any(status == 403 for *_, status in answers), answers


def test_the_routes_that_are_not_the_plants_answer_as_named(acme_user, client) -> None:
    client.force_login(acme_user)
    for route, status in NOT_THE_PLANTS.items():
        if status is not None:
            path = "/api/v1/nothing-here/" if route == "api/v1/<rest>" else f"/{route}"
            assert client.get(path).status_code == status, route
    assert client.get("/")["Location"] == "/supplier/"


def test_the_django_admin_is_closed_to_a_supplier(acme_user, client) -> None:
    client.force_login(acme_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/production/supplier/").status_code == 302


def test_a_supplier_is_only_a_supplier_whatever_else_it_was_given(acme) -> None:
    user = UserFactory(username="mixed", roles=["planner", "operator"])
    supplier_user_tie(user=user, supplier=acme)
    user.refresh_from_db()
    assert roles_of(user) == {SUPPLIER}
    assert not has_role(user, "planner", "operator", "integration")


def test_tying_gives_the_role_and_untying_takes_it(acme, bolt) -> None:
    user = UserFactory(username="sue")
    supplier_user_tie(user=user, supplier=acme)
    supplier_user_tie(user=user, supplier=bolt)  # one supplier per user: moved, not added
    assert SupplierUser.objects.get(user=user).supplier == bolt
    assert user.groups.filter(name=SUPPLIER).exists()
    supplier_user_untie(user=user)
    assert not SupplierUser.objects.filter(user=user).exists()
    assert not user.groups.filter(name=SUPPLIER).exists()


def test_staff_cannot_be_tied_to_a_supplier(acme) -> None:
    from production.errors import DomainError

    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    with pytest.raises(DomainError) as refused:
        supplier_user_tie(user=admin, supplier=acme)
    assert refused.value.field == "user"
    assert not SupplierUser.objects.exists()


def test_the_migration_made_the_supplier_group(db) -> None:
    assert Group.objects.filter(name=SUPPLIER).exists()
