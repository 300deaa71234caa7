from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "kanban"
    verbose_name = "Kanban"

    def ready(self) -> None:
        # kanban builds on production: it registers the pull policy, never the reverse.
        from kanban.policy import PullPolicy
        from production.policies import register_policy

        register_policy("pull", PullPolicy())
        # ... and its metrics and integrity checks (production/ops).
        from kanban import ops

        ops.register()
        # ... and its loops as a kind of master data file (production/masterdata).
        from kanban.resources import LoopResource
        from production.masterdata.kinds import register_kind

        register_kind(LoopResource)
