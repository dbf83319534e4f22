"""The roles' permissions on what updates and corrections added: editors and reviewers enter
which sources correct which (sources.SourceCorrection) and read supersessions; undoing one is
a reviewer's decision on a contradiction (claims.review_contradiction, claims/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here, as a data migration must be.
GRANTED = [
    ("sources", "add_sourcecorrection"),
    ("sources", "change_sourcecorrection"),
    ("sources", "view_sourcecorrection"),
    ("claims", "view_supersession"),
]


def grant(apps, schema_editor):
    # Permissions are made by a post_migrate signal, after every migration: make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    granted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in GRANTED
    ]
    for group in Group.objects.filter(name__in=["editors", "reviewers"]):
        group.permissions.add(*granted)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app, codename in GRANTED:
        for permission in Permission.objects.filter(
            content_type__app_label=app, codename=codename
        ):
            for group in Group.objects.filter(name__in=["editors", "reviewers"]):
                group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("claims", "0010_supersessions_and_cumulative"),
        ("sources", "0004_source_corrects"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
