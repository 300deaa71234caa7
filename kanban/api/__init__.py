"""The kanban side of the ERP API: loops and cards.

A work order raised by a card's signal shows that card: kanban adds the column to
production's work-order reads here (production never imports kanban).
"""

from django.db.models import F

from production.api.selectors import register_work_order_annotation

register_work_order_annotation("card_id", F("pull_signal__card"))
