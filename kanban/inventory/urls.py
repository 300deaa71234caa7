"""The card-count pages, part of the kanban app's URLs (names `kanban:count...`)."""

from django.urls import path

from kanban.inventory import views

urlpatterns = [
    path("cards/counts/", views.count_list, name="counts"),
    path("cards/counts/start/", views.count_start, name="count-start"),
    path("cards/counts/<int:count_id>/", views.count_page, name="count"),
    path("cards/counts/<int:count_id>/scan/", views.count_scan, name="count-scan"),
    path("cards/counts/<int:count_id>/tick/", views.count_tick, name="count-tick"),
    path("cards/counts/<int:count_id>/close/", views.count_close, name="count-close"),
    path(
        "cards/counts/<int:count_id>/cards/<int:card_id>/<slug:action>/",
        views.count_card_action,
        name="count-card",
    ),
]
