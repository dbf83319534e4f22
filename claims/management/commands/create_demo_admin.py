"""Creates the demo admin account for local work, printing its generated password once.

Run again, it leaves an existing account and its password alone (the password is never stored
in clear, so it cannot be shown again) and says how to set a new one: --reset.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_ADMIN_URL = "http://127.0.0.1:8000/admin/"


def demo_admin_create_or_reset(*, reset: bool) -> tuple[AbstractBaseUser, str | None]:
    """Returns the demo admin and the password just set, or None when none was set.

    Creates the superuser with a generated password when it does not exist; sets a new generated
    password when it exists and `reset` is true; otherwise changes nothing.
    """
    user_model = get_user_model()
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        # Locked so that two resets at once cannot each print a password only one of them set.
        user = (
            user_model.objects.select_for_update()
            .filter(**{user_model.USERNAME_FIELD: DEMO_ADMIN_USERNAME})
            .first()
        )
        if user is None:
            user = user_model.objects.create_superuser(
                DEMO_ADMIN_USERNAME, DEMO_ADMIN_EMAIL, password
            )
            return user, password
        if reset:
            user.set_password(password)
            user.save(update_fields=["password"])
            return user, password
    return user, None


class Command(BaseCommand):
    help = (
        f"Create the demo superuser {DEMO_ADMIN_USERNAME!r} with a generated password, printed "
        "once. If it exists, nothing changes unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Set and print a new password for the existing demo admin.",
        )

    def handle(self, *args, **options):
        _user, password = demo_admin_create_or_reset(reset=options["reset"])
        if password is None:
            self.stdout.write(
                f"Demo admin {DEMO_ADMIN_USERNAME!r} already exists; its password is unchanged "
                f"(it was printed when the account was created). To set and print a new one: "
                f"python manage.py create_demo_admin --reset"
            )
            return
        self.stdout.write(
            f"Demo admin: {DEMO_ADMIN_URL}  user {DEMO_ADMIN_USERNAME}  password {password}",
            self.style.SUCCESS,
        )
