"""`python manage.py compare`: the comparisons concern's command.

Django looks for commands only in an app's own `management/commands/`; the command
itself lives with its concern, in `production/comparisons/management/commands/`.
"""

from production.comparisons.management.commands.compare import Command

__all__ = ["Command"]
