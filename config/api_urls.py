"""The ERP API, v1, and its OpenAPI schema with docs served from the app itself."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from production.api.problems import api_not_found

urlpatterns = [
    path("v1/", include("production.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("v1/", include("production.planning.api")),
    path("v1/", include("production.comparisons.api")),
    path("v1/", include("kanban.api.urls")),
    # Anything else under v1/ is answered in the API's error format (RFC 9457), not HTML.
    re_path(r"^v1/", api_not_found),
]
