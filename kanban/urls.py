from django.urls import path

from kanban import scan_views, stream, views

app_name = "kanban"

urlpatterns = [
    path("boards/", views.board_index, name="boards"),
    path("boards/<slug:code>/", views.board, name="board"),
    path("boards/<slug:code>/columns/", views.board_columns, name="board-columns"),
    path("boards/<slug:code>/events/", stream.board_events, name="board-events"),
    path("cards/<int:card_id>/move/", views.card_move_view, name="card-move"),
    path("scan/", scan_views.scan, name="scan"),
    path("cards/print/", views.print_cards, name="print"),
    path("cards/lost/", views.lost_cards, name="lost-cards"),
]
