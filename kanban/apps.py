from importlib import import_module

from django.apps import AppConfig

# Concerns of the kanban app in folders of their own, with models registered in this app.
CONCERNS = ("inventory",)


class KanbanConfig(AppConfig):
    name = "kanban"
    verbose_name = "Kanban"

    def import_models(self) -> None:
        """Register the concerns' models in this app, after the cards' (as production does)."""
        super().import_models()
        for concern in CONCERNS:
            import_module(f"{self.name}.{concern}.models")

    def ready(self) -> None:
        # kanban builds on production: it registers the pull policy, never the reverse.
        from kanban.policy import PullPolicy
        from production.policies import register_policy

        register_policy("pull", PullPolicy())
        # ... and moves a card when its call-off or transfer order is received (or
        # cancelled) by the order's own action.
        from kanban.replenish import follow_order
        from production.supply.services import register_order_follower

        register_order_follower(follow_order)
        # ... and its metrics and integrity checks (production/ops).
        from kanban import ops

        ops.register()
        for concern in CONCERNS:
            import_module(f"{self.name}.{concern}.admin")
        # ... and its loops as a kind of master data file (production/masterdata).
        from kanban.resources import LoopResource
        from production.masterdata.kinds import register_kind

        register_kind(LoopResource)
