from django.apps import AppConfig
from django.core import checks


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        # A database check: runs with `manage.py check --database default` (and before
        # `migrate`), never at start-up.
        checks.register(appearance_outlets_check, checks.Tags.database)


def appearance_outlets_check(
    app_configs=None, databases=None, **kwargs
) -> list[checks.CheckMessage]:
    """Appearances whose copied outlet is not their source's (see
    claims/services/appearance_outlets.py): track records would count them under another outlet.
    Silent on a database not yet migrated to the column (migrate runs database checks first)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from claims.models import Appearance
    from claims.selectors.claims import appearances_outlet_drifted

    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    table = Appearance._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return []
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    if Appearance._meta.get_field("outlet").column not in columns:
        return []
    drifted = appearances_outlet_drifted().count()
    if not drifted:
        return []
    return [
        checks.Error(
            f"{drifted} appearance(s) carry an outlet other than their source's.",
            hint=(
                "Something wrote appearances or sources around the services. Repair with "
                "manage.py shell -c 'from claims.services.appearance_outlets import "
                "appearance_outlets_follow; appearance_outlets_follow()'."
            ),
            id="claims.E001",
        )
    ]
