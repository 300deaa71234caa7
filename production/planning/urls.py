"""Planner pages for forecasts, push plans and line mode switches (included at the root)."""

from django.urls import path

from production.planning import views

urlpatterns = [
    path("planning/forecasts/", views.forecasts, name="planning-forecasts"),
    path("planning/forecasts/refresh/", views.forecast_refresh, name="planning-forecast-refresh"),
    path(
        "planning/forecasts/progress/", views.forecast_progress, name="planning-forecast-progress"
    ),
    # `path`: a SKU stored before the SKU pattern held everywhere may contain "/".
    path("planning/forecasts/<path:sku>/", views.forecast_detail, name="planning-forecast"),
    path("planning/push/", views.push_plans, name="planning-push"),
    path("planning/push/<int:plan_id>/", views.push_plan, name="planning-push-plan"),
    path(
        "planning/push/<int:plan_id>/release/",
        views.push_plan_decide,
        {"decision": "release"},
        name="planning-push-plan-release",
    ),
    path(
        "planning/push/<int:plan_id>/discard/",
        views.push_plan_decide,
        {"decision": "discard"},
        name="planning-push-plan-discard",
    ),
    path("planning/lines/<slug:code>/mode/", views.line_mode, name="planning-line-mode"),
]
