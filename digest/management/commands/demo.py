"""python manage.py demo: the main job as far as it exists, on whatever database is configured."""

from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from config.commands import BaseCommand
from digest.ingest.runs import ingest_hf, ingest_listings
from digest.ingest.sources import hf_daily
from digest.ingest.sources.files import read_listing_file
from digest.ingest.sources.http import build_client
from digest.ingest.sources.records import SourceError
from digest.models import IngestRun, Paper
from digest.screens.archive import paper_latest_featured_day
from digest.tasks import embed_new_papers
from subscriptions.consent import subscriber_import
from subscriptions.models import Subscriber, Topic
from subscriptions.services import Preferences

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "hf_daily_papers.json"
DEMO_READERS = [
    ("ada@example.org", {"interests": 'sparse autoencoder\n"language model" -robotics'}, []),
    ("grace@example.org", {"authors": "Grace Liu"}, ["robotics", "speech-audio"]),
    ("alan@example.org", {}, []),  # no filters: the day's top papers
    # No filters, only their own words: the learned ranking picks what fits.
    ("lin@example.org", {"description": "Interpretability: what sparse autoencoders, probes "
                                        "and circuits reveal about the features inside "
                                        "neural networks."}, []),
]


def demo_readers() -> list[str]:
    """A few confirmed readers with example addresses, when there are no readers at all."""
    if Subscriber.objects.exists():
        return []
    now = timezone.now()
    for email, fields, topic_slugs in DEMO_READERS:
        preferences = Preferences(topics=list(Topic.objects.filter(slug__in=topic_slugs)),
                                  **fields)
        subscriber_import(email=email, preferences=preferences, confirmed=True, now=now)
    return [email for email, _, _ in DEMO_READERS]


class Command(BaseCommand):
    help = ("Load papers (the live HF day, or the shipped sample offline), add example readers "
            "if there are none, and send them the next edition into the outbox.")

    def add_arguments(self, parser):
        parser.add_argument("--offline", action="store_true",
                            help="use the shipped sample without trying the network")

    def handle(self, *args, **options):
        run = None if options["offline"] else self.ingest_live()
        if run is None:
            run = self.ingest_sample()
        if run.status != IngestRun.Status.SUCCEEDED:
            raise CommandError(f"ingest failed: {run.error}")
        embed_new_papers.delay()  # for the learned ranking (in-process without a broker)
        day = paper_latest_featured_day()
        self.stdout.write(
            f"Papers: {Paper.objects.count()} stored ({run.created} new, {run.updated} updated), "
            f"latest featured day {day}, in {self.database_label()}."
        )
        readers = demo_readers()
        if readers:
            self.stdout.write(f"Readers: added {', '.join(readers)} (example addresses).")
        edition = (day or timezone.now().date()) + timedelta(days=1)
        call_command("send_digests", "--date", edition.isoformat(), stdout=self.stdout,
                     verbosity=options["verbosity"])
        self.stdout.write(f"Mail: {settings.OUTBOX_DIR}/ (each digest as .eml, and .html to "
                          f"open in a browser).")
        self.stdout.write("Open the site: make run, then http://127.0.0.1:8000/ (papers: /papers/; "
                          "admin: .venv/bin/python manage.py createsuperuser, then /admin/)")

    def ingest_live(self) -> IngestRun | None:
        yesterday = timezone.now().date() - timedelta(days=1)
        with build_client(site_url=settings.SITE_URL, timeout=10) as client:
            try:  # one quick probe, so an offline machine falls back at once
                client.get(hf_daily.API_URL, params={"date": yesterday.isoformat(), "limit": 1})
            except httpx.HTTPError as error:
                self.stdout.write(f"Hugging Face is unreachable ({type(error).__name__}); "
                                  f"loading the shipped sample instead.")
                return None
            return ingest_hf(client=client, day=yesterday)

    def ingest_sample(self) -> IngestRun:
        try:
            listing = read_listing_file(SAMPLE)
        except SourceError as error:
            raise CommandError(str(error)) from None
        return ingest_listings(listings={str(SAMPLE): listing})

    @staticmethod
    def database_label() -> str:
        db = connection.settings_dict
        if db["ENGINE"].endswith("sqlite3"):
            return str(Path(db["NAME"]).relative_to(settings.BASE_DIR)
                       if Path(db["NAME"]).is_relative_to(settings.BASE_DIR) else db["NAME"])
        return f"PostgreSQL database {db['NAME']} on {db['HOST'] or 'localhost'}"
