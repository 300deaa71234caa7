"""Planners' dashboards, mounted at the site root."""

from django.urls import path

from production.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.index, name="index"),
    path("dashboards/lines/<slug:code>/", views.line_dashboard, name="line"),
    path(
        "dashboards/lines/<slug:code>/export/<slug:table>.csv",
        views.line_export,
        name="line-export",
    ),
]
