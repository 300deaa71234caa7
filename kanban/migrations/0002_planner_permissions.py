"""The planner group's model permissions: what the admin lets a planner do.

Planners set up lines, products, BOMs, locations and kanban loops, and act on work
orders (through admin actions that call the services). Ledgers and event logs are
view-only for them; the admin refuses edits to those for everyone.
Lives in kanban because it grants on both apps (kanban depends on production).
"""

from django.db import migrations

PLANNER_PERMISSIONS = {
    "production": {
        "productionline": ("add", "change", "view"),
        "product": ("add", "change", "delete", "view"),
        "bomline": ("add", "change", "delete", "view"),
        "location": ("add", "change", "view"),
        "workorder": ("change", "view"),
        "workorderevent": ("view",),
        "linemodeswitch": ("view",),
        "stocklevel": ("view",),
        "stockmove": ("view",),
        "demandevent": ("view",),
    },
    "kanban": {
        "kanbanloop": ("add", "change", "view"),
        "kanbancard": ("view",),
        "cardevent": ("view",),
        "pullsignal": ("view",),
    },
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrate; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    planner, _ = Group.objects.get_or_create(name="planner")
    for app_label, models in PLANNER_PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            planner.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    planner = Group.objects.filter(name="planner").first()
    if planner is not None:
        planner.permissions.remove(
            *planner.permissions.filter(content_type__app_label__in=["production", "kanban"])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("kanban", "0001_initial"),
        ("production", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
