from importlib import import_module

from django.apps import AppConfig
from django.utils.module_loading import module_has_submodule

# The concerns built on the core, each in its own folder (README, "Where things live").
# They are part of the `production` app: their models keep the app label and the tables
# they always had (`production_forecastrun`, ...), so no migration moves data.
CONCERNS = (
    "webhooks",
    "planning",
    "comparisons",
    "dashboards",
    "ops",
    "supply",
    "accounts",
    "audit",
    "masterdata",
)


class ProductionConfig(AppConfig):
    name = "production"
    verbose_name = "Production"

    def import_models(self) -> None:
        """Register the concerns' models in this app, after the core's.

        Django imports only `production.models`; the core must not import its concerns
        (they build on it), so the app, which knows its concerns, imports their models.
        """
        super().import_models()
        from production.audit.records import register_user_history

        register_user_history()
        for concern in CONCERNS:
            package = import_module(f"{self.name}.{concern}")
            if module_has_submodule(package, "models"):
                import_module(f"{self.name}.{concern}.models")

    def ready(self) -> None:
        # Each concern registers its own admin pages (Django's autodiscovery reads only
        # `production.admin`).
        for concern in CONCERNS:
            package = import_module(f"{self.name}.{concern}")
            if module_has_submodule(package, "admin"):
                import_module(f"{self.name}.{concern}.admin")
            if module_has_submodule(package, "signals"):
                import_module(f"{self.name}.{concern}.signals")
