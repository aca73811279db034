"""python manage.py run_daily: the day's job in one go: ingest, then build and send.

Exit codes: 0 all went well; 1 every ingest run failed (nothing is sent: an edition goes
out once, so it waits for a run that has the day's papers) or bad input; 3 some ingest runs
failed (the digests went out with the papers stored).
"""

import time

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from config.commands import BaseCommand
from digest.ingest.today import ingest_today
from digest.management.commands.ingest import report_run
from digest.models import IngestRun
from digest.tasks import embed_new_papers, ingest_seed_papers

PARTLY_FAILED = 3
sleep = time.sleep  # waits between retries (tests put a recorder here)


class Command(BaseCommand):
    help = ("Ingest today's listings (HF today and yesterday, arXiv), then build and send "
            "every due digest. Exits 1 without sending when every ingest run failed, and 3 "
            "after sending when some failed.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="send edition D to everyone due it, YYYY-MM-DD")
        parser.add_argument("--skip-ingest", action="store_true",
                            help="send with the papers already stored")

    def handle(self, *args, date=None, skip_ingest=False, verbosity=1, **options):
        runs = [] if skip_ingest else self.ingest()
        for run in runs:
            report_run(run, stdout=self.stdout, stderr=self.stderr, prefix="Ingest ")
        failed = [run for run in runs if run.status == IngestRun.Status.FAILED]
        if runs and len(failed) == len(runs):
            raise CommandError(
                "every ingest run failed, so no digest was sent (an edition goes out once: it "
                "waits for the day's papers); run again when the sources answer, or with "
                "--skip-ingest to send the papers already stored")
        call_command("send_digests", *(["--date", date] if date else []), stdout=self.stdout,
                     verbosity=verbosity)
        if failed:
            raise CommandError(f"{len(failed)} of {len(runs)} ingest runs failed; the digests "
                               f"went out with the papers stored", returncode=PARTLY_FAILED)

    @staticmethod
    def ingest() -> list[IngestRun]:
        runs = ingest_today(today=timezone.now().date(), sleep=sleep)
        # For the learned ranking; in-process without a broker, queued for a worker with one.
        if any(run.status != IngestRun.Status.FAILED for run in runs):
            ingest_seed_papers.delay()  # arXiv is reachable: the readers' new seed papers
        embed_new_papers.delay()
        return runs
