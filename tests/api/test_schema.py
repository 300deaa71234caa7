"""The OpenAPI schema builds without warnings and says what the API does (schemathesis runs
are in test_schemathesis.py)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from tests.factories import UserFactory


def test_schema_builds_without_warnings(db):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=StringIO())
    assert "/api/v1/demand-events/" in out.getvalue()


def test_docs_are_served_from_the_app_to_signed_in_users(client, db):
    for path in ("/api/docs/", "/api/redoc/", "/api/schema/"):
        assert client.get(path).status_code in (401, 403), f"{path} is open to anyone"
    client.force_login(UserFactory(username="reader", roles=["integration"]))
    for path in ("/api/docs/", "/api/redoc/"):
        page = client.get(path)
        assert page.status_code == 200
        assert b"cdn." not in page.content and b"unpkg" not in page.content
    assert client.get("/api/schema/").status_code == 200


def test_list_filters_sent_empty_are_documented_and_not_applied(client, plant):
    """A filter form sends every filter, empty ones too (`?changed_after=&status=`): the
    API ignores an empty filter, and the schema says so (`allowEmptyValue`), so a client
    generated from it (or schemathesis) does not take the 200 for a bug."""
    client.force_login(UserFactory(username="reader", roles=["integration"]))
    schema = client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cards/"]["get"]["parameters"]}
    assert parameters["changed_after"].get("allowEmptyValue") is True
    assert parameters["loop"].get("allowEmptyValue") is True
    assert "allowEmptyValue" not in parameters["cursor"]  # pagination: not a filter
    answer = client.get("/api/v1/cards/?changed_after=&changed_before=&loop=")
    assert answer.status_code == 200, answer.json()
    assert len(answer.json()["results"]) == 7  # every card of the plant: nothing filtered
    # A list of choices with an empty item is not a filter to ignore: 400 naming it.
    assert "allowEmptyValue" not in parameters["status"]
    refused = client.get("/api/v1/cards/?status=")
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["status"]
