from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it, once: only its hash is stored. "
        "The token acts with the user's roles (editors, reviewers). Revoke it in the admin "
        "(Knox > Auth tokens: delete)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=settings.API_TOKEN_DAYS,
            help="Days until it expires (default API_TOKEN_DAYS, %(default)s); 0: never.",
        )

    def handle(self, *args, username, days, **options):
        if days < 0:
            raise CommandError("--days must be 0 (never expires) or more")
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist:
            raise CommandError(f'no user "{username}"') from None
        if not user.is_active:
            raise CommandError(f'user "{username}" is inactive')
        token_row, token = AuthToken.objects.create(
            user=user, expiry=timedelta(days=days) if days else None
        )
        expiry = token_row.expiry.isoformat() if token_row.expiry else "never"
        self.stderr.write(f"Token for {username} (expires {expiry}); it is not shown again:")
        self.stdout.write(token)
