from django.core.management.base import BaseCommand

from claims.services.detection import scan_run_here


class Command(BaseCommand):
    help = (
        "Run the full contradiction scan now, in the foreground: the same code the nightly "
        "background scan runs. Waits for a scan already running, then prints what it compared "
        "and found."
    )

    def handle(self, *args, **options):
        report = scan_run_here(requested_by="command")
        scan = report.scan
        kinds = ", ".join(f"{n} {kind}" for kind, n in report.by_kind.items()) or "none"
        self.stdout.write(
            f"scan {scan.pk}: compared {scan.claims_compared} claims in {scan.chunks_total} "
            f"chunks in {report.seconds:.1f} s; {scan.pairs_found} contradicting pairs found, "
            f"{scan.flags_withdrawn} open flags no longer holding withdrawn.\n"
            f"flags now stored by kind: {kinds}"
        )
