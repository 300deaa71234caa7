"""Production lines: the audited switch between pull and push, now or at a date.

A switch dated in the future changes nothing until its date: the line keeps its mode,
so the old policy runs until then (a line going to push keeps its cards working; a
line going back to pull keeps being planned). At its date `line_mode_switches_apply_due`
(every minute from beat, and before each push planning run) applies it. A new switch
of a line replaces the one still to come.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from production import live
from production.audit.records import audited, history_actor
from production.errors import DomainError
from production.models import LineMode, LineModeSwitch, ProductionLine
from production.policies import policy_for
from production.webhooks.events import emit_line_mode_changed


def line_switch_pending(line: ProductionLine) -> LineModeSwitch | None:
    """The switch of a line that is still to come, if any."""
    return (
        LineModeSwitch.objects.filter(line=line, applied_at__isnull=True, cancelled_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def _apply(line: ProductionLine, switch: LineModeSwitch, *, now: datetime) -> None:
    """Change the (locked) line's mode as the switch says, in the caller's transaction."""
    switch.applied_at = now
    switch.save(update_fields=["applied_at"])
    if line.mode == switch.to_mode:
        return
    line.mode = switch.to_mode
    with history_actor(switch.switched_by_id):  # a switch dated ahead: applied by a task
        line.save(update_fields=["mode"])
    policy_for(switch.to_mode).mode_entered(line_id=line.pk, actor_id=switch.switched_by_id)
    live.notify_lines_changed([line.pk], kind="mode")
    emit_line_mode_changed(switch)


@audited
@transaction.atomic
def line_switch_mode(
    *,
    line: ProductionLine,
    mode: str,
    reason: str,
    actor_id: int | None,
    effective_at: datetime | None = None,
) -> LineModeSwitch:
    """Switch a line's replenishment mode, now or at `effective_at`. Open work orders
    carry on untouched.

    The policy being entered brings its own state in line when the switch takes effect
    (the pull policy re-reads its cards); until then the line runs as before.
    """
    if mode not in LineMode.values:
        raise DomainError(f"Mode must be one of {', '.join(LineMode.values)}.", field="mode")
    if not reason.strip():
        raise DomainError("Say why the line changes mode.", field="reason")
    now = timezone.now()
    line = ProductionLine.objects.select_for_update().get(pk=line.pk)
    pending = line_switch_pending(line)
    if line.mode == mode:
        message = _("Line %(line)s already runs in %(mode)s mode.") % {
            "line": line.code,
            "mode": mode,
        }
        if pending is not None:
            message += " " + _("Its switch to %(mode)s is planned for %(at)s.") % {
                "mode": pending.to_mode,
                "at": timezone.localtime(pending.effective_at).strftime("%Y-%m-%d %H:%M"),
            }
        raise DomainError(message, field="mode")
    if pending is not None:
        pending.cancelled_at = now
        pending.save(update_fields=["cancelled_at"])
    switch = LineModeSwitch.objects.create(
        line=line,
        from_mode=line.mode,
        to_mode=mode,
        reason=reason,
        effective_at=effective_at or now,
        switched_by_id=actor_id,
    )
    if switch.effective_at <= now:
        _apply(line, switch, now=now)
    else:
        live.notify_lines_changed([line.pk], kind="mode")
    return switch


def line_mode_switches_apply_due(*, now: datetime | None = None) -> list[LineModeSwitch]:
    """Apply every switch whose date has come (each line in a transaction of its own)."""
    now = now or timezone.now()
    applied = []
    due = (
        LineModeSwitch.objects.filter(
            applied_at__isnull=True, cancelled_at__isnull=True, effective_at__lte=now
        )
        .order_by("effective_at", "id")
        .values_list("pk", "line_id")
    )
    for switch_id, line_id in list(due):
        with transaction.atomic():
            line = ProductionLine.objects.select_for_update().get(pk=line_id)
            switch = LineModeSwitch.objects.select_for_update().get(pk=switch_id)
            if switch.applied_at is not None or switch.cancelled_at is not None:
                continue  # applied or replaced meanwhile
            _apply(line, switch, now=now)
            applied.append(switch)
    return applied
