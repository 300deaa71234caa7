"""Comparison pages, mounted at the site root (under the planners' dashboards)."""

from django.urls import path

from production.comparisons import views

app_name = "comparisons"

urlpatterns = [
    path("dashboards/comparisons/", views.comparisons, name="index"),
    path("dashboards/comparisons/side-by-side/", views.side_by_side, name="side-by-side"),
    path("dashboards/comparisons/<int:pk>/", views.comparison, name="detail"),
    path(
        "dashboards/comparisons/<int:pk>/export/<slug:table>.csv",
        views.comparison_export,
        name="export",
    ),
]
