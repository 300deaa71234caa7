"""The ERP API, v1, and its OpenAPI schema with docs served from the app itself."""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.middleware import docs_policy
from production.api.problems import api_not_found

urlpatterns = [
    path("v1/", include("production.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: the pages'
    # policy runs no inline script. ReDoc's page loads no web fonts from the internet.
    path(
        "docs/",
        docs_policy(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path(
        "redoc/",
        docs_policy(
            SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
    path("v1/", include("production.planning.api")),
    path("v1/", include("production.comparisons.api")),
    path("v1/", include("production.supply.api.urls")),
    path("v1/", include("kanban.api.urls")),
    # Anything else under v1/ is answered in the API's error format (RFC 9457), not HTML.
    re_path(r"^v1/", api_not_found),
]
