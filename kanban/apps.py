from django.apps import AppConfig


class KanbanConfig(AppConfig):
    name = "kanban"
    verbose_name = "Kanban"

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
