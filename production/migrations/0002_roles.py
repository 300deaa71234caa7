"""The role groups. Permissions in the app are checked by role (production.roles);
the Django model permissions given here are what the admin needs for each role."""

from django.db import migrations


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ("operator", "planner", "integration"):
        Group.objects.get_or_create(name=name)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["operator", "planner", "integration"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_roles, drop_roles)]
