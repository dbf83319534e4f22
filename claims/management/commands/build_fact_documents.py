import time

from django.core.management.base import BaseCommand

from claims.services.fact_documents import fact_documents_build_all


class Command(BaseCommand):
    help = (
        "Build the stored document of every fact (vetted claims nothing supersedes) and delete "
        "those of claims that are no longer facts. Run once after migrating to "
        "claims/0014_fact_documents; safe to run again at any time."
    )

    def handle(self, *args, **options):
        began = time.perf_counter()
        written = fact_documents_build_all()
        self.stdout.write(
            f"{written} fact document(s) written in {time.perf_counter() - began:.1f} s"
        )
