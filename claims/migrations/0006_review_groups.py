"""The two roles, as groups with their permissions: editors and reviewers.

The lists are frozen here, as a data migration must be; claims/core/roles.py names the groups and
the custom permissions the code checks. Staff in neither group read only (tracker/auth.py).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# app label -> models editors add, change and view. No delete: nothing an editor does loses
# data.
EDITED = {
    "sources": ["outlet", "source", "entity", "entityalias", "sourcecitation"],
    "claims": [
        "predicate",
        "predicatealias",
        "claim",
        "appearance",
        "appearancevia",
        "claimrelation",
    ],
}
# Models editors only read.
READ = {
    "claims": ["contradiction", "contradictionscan", "claimrating", "claimstatuschange"],
}
REVIEWER_ONLY = [
    ("claims", "rate_claim"),
    ("claims", "change_claim_status"),
    ("claims", "review_contradiction"),
    ("sources", "grade_outlet"),
]


def _codenames() -> list[tuple[str, str]]:
    pairs = [
        (app, f"{action}_{model}")
        for app, models in EDITED.items()
        for model in models
        for action in ("add", "change", "view")
    ]
    pairs += [(app, f"view_{model}") for app, models in READ.items() for model in models]
    return pairs


def create_groups(apps, schema_editor):
    # Permissions are made by a post_migrate signal, after every migration: make them now, so
    # that the groups can be given them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(pairs):
        found = []
        for app, codename in pairs:
            found.append(
                Permission.objects.get(content_type__app_label=app, codename=codename)
            )
        return found

    editor_permissions = permissions(_codenames())
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.add(*editor_permissions)
    reviewers, _ = Group.objects.get_or_create(name="reviewers")
    reviewers.permissions.add(*editor_permissions, *permissions(REVIEWER_ONLY))


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["editors", "reviewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0005_review_ratings"),
        ("sources", "0002_review_outlet_grade"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
