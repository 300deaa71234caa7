"""`python manage.py rebuild_daily_flows`: the dashboards concern's command.

Django looks for commands only in an app's own `management/commands/`; the command
itself lives with its concern, in `production/dashboards/management/commands/`.
"""

from production.dashboards.management.commands.rebuild_daily_flows import Command

__all__ = ["Command"]
