"""The ERP API, v1, and its OpenAPI schema with docs served from the app itself."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("v1/", include("production.api.urls")),
    path("v1/", include("production.api.planning_urls")),
    path("v1/", include("production.api.twin_urls")),
    path("v1/", include("kanban.api.urls")),
]
