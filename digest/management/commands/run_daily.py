"""python manage.py run_daily: the day's job in one go: ingest, then build and send.

Exit codes: 0 all went well; 1 every ingest run failed (nothing is sent: an edition goes
out once, so it waits for a run that has the day's papers) or bad input; 3 some ingest runs
failed (the digests went out with the papers stored).
"""

import time
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from config.commands import BaseCommand
from digest.backoff import RetryPolicy
from digest.ingest.runs import ingest_arxiv, ingest_hf
from digest.ingest.sources.arxiv import ArxivFeed
from digest.ingest.sources.http import build_client
from digest.management.commands.ingest import report_run
from digest.models import IngestRun

PARTLY_FAILED = 3
# A command someone waits for: 4 tries per request, waits doubling from 1-2 s, at most 20 s
# each, so at most a minute of waiting per request; a server asking for more fails it at once.
INGEST_RETRIES = RetryPolicy(attempts=4, base=2.0, maximum=20.0)
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
        today = timezone.now().date()
        with build_client(site_url=settings.SITE_URL, timeout=15) as client:
            runs = [ingest_hf(client=client, day=day, sleep=sleep, retries=INGEST_RETRIES)
                    for day in (today - timedelta(days=1), today)]
        with build_client(site_url=settings.SITE_URL, timeout=15, max_connections=1) as client:
            runs.append(ingest_arxiv(feed=ArxivFeed(client, sleep=sleep, retries=INGEST_RETRIES),
                                     categories=settings.ARXIV_CATEGORIES,
                                     keep=settings.ARXIV_ANNOUNCE_TYPES))
        return runs
