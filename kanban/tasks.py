"""Thin Celery wrappers around kanban services."""

from __future__ import annotations

from celery import shared_task

from kanban.models import KanbanLoop


@shared_task(soft_time_limit=540, time_limit=600)
def loops_size_task() -> int:
    """Nightly: store a card-count recommendation, with its inputs, for every loop."""
    from kanban.services import loops_size

    return len(loops_size(loops=KanbanLoop.objects.filter(archived_at__isnull=True)))
