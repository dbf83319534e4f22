"""Creates the demo's admin, editor and reviewer accounts, printing each generated password.

Run again, it leaves existing accounts and their passwords alone (a password is never stored in
clear, so it cannot be shown again) unless --reset is given; ./scripts/start gives it, so that
the accounts it prints always work.
"""

from django.core.management.base import BaseCommand

from claims.services.demo import demo_accounts_create_or_reset


class Command(BaseCommand):
    help = (
        "Create the demo accounts admin, editor and reviewer with generated passwords, each "
        "printed once. Existing accounts keep their passwords unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Set and print new passwords for all three."
        )

    def handle(self, *args, **options):
        for account, password in demo_accounts_create_or_reset(reset=options["reset"]):
            if password is None:
                self.stdout.write(
                    f"Demo {account.role}: user {account.username} (password unchanged; "
                    "--reset sets and prints a new one)"
                )
            else:
                self.stdout.write(
                    f"Demo {account.role}: user {account.username} password {password}",
                    self.style.SUCCESS,
                )
