"""Planners' dashboards, mounted at the site root."""

from django.urls import path

from production import dashboard_views as views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.index, name="index"),
    path("dashboards/lines/<slug:code>/", views.line_dashboard, name="line"),
    path(
        "dashboards/lines/<slug:code>/export/<slug:table>.csv",
        views.line_export,
        name="line-export",
    ),
    path("dashboards/comparisons/", views.comparisons, name="comparisons"),
    path("dashboards/comparisons/side-by-side/", views.side_by_side, name="side-by-side"),
    path("dashboards/comparisons/<int:pk>/", views.comparison, name="comparison"),
    path(
        "dashboards/comparisons/<int:pk>/export/<slug:table>.csv",
        views.comparison_export,
        name="comparison-export",
    ),
]
