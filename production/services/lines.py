"""Production lines: the audited switch between pull and push."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from production import live
from production.errors import DomainError
from production.models import LineMode, LineModeSwitch, ProductionLine
from production.policies import policy_for
from production.webhooks.events import emit_line_mode_changed


@transaction.atomic
def line_switch_mode(
    *,
    line: ProductionLine,
    mode: str,
    reason: str,
    actor_id: int | None,
    effective_at: datetime | None = None,
) -> LineModeSwitch:
    """Switch a line's replenishment mode. Open work orders carry on untouched.

    The new policy takes over from the next planning cycle; the policy being
    entered brings its own state in line (the pull policy re-reads its cards).
    """
    if mode not in LineMode.values:
        raise DomainError(f"Mode must be one of {', '.join(LineMode.values)}.", field="mode")
    if not reason.strip():
        raise DomainError("Say why the line changes mode.", field="reason")
    line = ProductionLine.objects.select_for_update().get(pk=line.pk)
    if line.mode == mode:
        raise DomainError(f"Line {line.code} already runs in {mode} mode.", field="mode")
    switch = LineModeSwitch.objects.create(
        line=line,
        from_mode=line.mode,
        to_mode=mode,
        reason=reason,
        effective_at=effective_at or timezone.now(),
        switched_by_id=actor_id,
    )
    line.mode = mode
    line.save(update_fields=["mode"])
    policy_for(mode).mode_entered(line_id=line.pk, actor_id=actor_id)
    live.notify_lines_changed([line.pk], kind="mode")
    emit_line_mode_changed(switch)
    return switch
