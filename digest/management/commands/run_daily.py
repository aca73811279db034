"""python manage.py run_daily: the day's job in one go: ingest, then build and send."""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from config.commands import BaseCommand
from digest.ingestion import ingest_arxiv, ingest_hf
from digest.management.commands.ingest import describe
from digest.models import IngestRun
from digest.sources.arxiv import ArxivFeed
from digest.sources.http import build_client


class Command(BaseCommand):
    help = ("Ingest today's listings (HF today and yesterday, arXiv), then build and send "
            "every due digest. An ingest that fails is reported; stored papers still go out.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="send edition D to everyone due it, YYYY-MM-DD")
        parser.add_argument("--skip-ingest", action="store_true")

    def handle(self, *args, date=None, skip_ingest=False, verbosity=1, **options):
        if not skip_ingest:
            for run in self.ingest():
                state = ("ok: " + f"{run.created} created, {run.updated} updated"
                         if run.status == IngestRun.Status.SUCCEEDED else f"failed: {run.error}")
                self.stdout.write(f"Ingest {run.get_source_display()} {describe(run)}: {state}")
        call_command("send_digests", *(["--date", date] if date else []), stdout=self.stdout,
                     verbosity=verbosity)

    @staticmethod
    def ingest() -> list[IngestRun]:
        today = timezone.now().date()
        with build_client(site_url=settings.SITE_URL, timeout=15) as client:
            runs = [ingest_hf(client=client, day=today - timedelta(days=1), sleep=lambda s: None),
                    ingest_hf(client=client, day=today, sleep=lambda s: None)]
        with build_client(site_url=settings.SITE_URL, timeout=15, max_connections=1) as client:
            runs.append(ingest_arxiv(feed=ArxivFeed(client, sleep=lambda s: None),
                                     categories=settings.ARXIV_CATEGORIES,
                                     keep=settings.ARXIV_ANNOUNCE_TYPES))
        return runs
