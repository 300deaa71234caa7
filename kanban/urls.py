from django.urls import path

from kanban import card_pages, scan_views, stream, views
from kanban.inventory import urls as inventory_urls

app_name = "kanban"

urlpatterns = [
    path("boards/", views.board_index, name="boards"),
    path("boards/<slug:code>/", views.board, name="board"),
    path("boards/<slug:code>/columns/", views.board_columns, name="board-columns"),
    path("boards/<slug:code>/events/", stream.board_events, name="board-events"),
    path("boards/<slug:code>/lanes/<int:product_id>/", views.board_lane, name="board-lane"),
    path(
        "boards/<slug:code>/orders/<int:order_id>/<slug:action>/",
        views.board_order_view,
        name="board-order",
    ),
    path("signals/", views.signals, name="signals"),
    path("cards/<int:card_id>/move/", views.card_move_view, name="card-move"),
    path("cards/<int:card_id>/undo/", card_pages.card_undo_view, name="card-undo"),
    path("cards/<int:card_id>/", card_pages.card_page, name="card"),
    path("cards/<int:card_id>/hold/<slug:what>/", card_pages.card_hold_action, name="card-hold"),
    path(
        "cards/<int:card_id>/one-time-card/",
        card_pages.one_time_card_action,
        name="one-time-card",
    ),
    path("scan/", scan_views.scan, name="scan"),
    path("cards/print/", views.print_cards, name="print"),
    path("cards/lost/", views.lost_cards, name="lost-cards"),
    *inventory_urls.urlpatterns,
]
