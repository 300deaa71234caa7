"""The supplier's pages."""

from django.urls import path

from production.supply.portal import views

urlpatterns = [
    path("supplier/", views.board, name="supplier-board"),
    path(
        "supplier/call-offs/<int:call_off_id>/<slug:action>/",
        views.call_off_action,
        name="supplier-call-off-action",
    ),
]
