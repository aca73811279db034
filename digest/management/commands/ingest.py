"""python manage.py ingest: fetch listings (or read them from files) into Paper rows."""

import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from config.commands import BaseCommand
from digest.ingest.runs import ingest_arxiv, ingest_hf, ingest_listings
from digest.ingest.sources.arxiv import ArxivFeed
from digest.ingest.sources.files import read_listing_file
from digest.ingest.sources.http import build_client
from digest.ingest.sources.records import SourceError
from digest.models import IngestRun
from digest.tasks import embed_new_papers

# Waits between retries (tests put a recorder here). A backfill waits as long as Hugging
# Face's rate-limit window asks: the sources' default retry policy.
sleep = time.sleep


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = "Ingest paper listings from Hugging Face Daily Papers, arXiv, or files on disk."

    def add_arguments(self, parser):
        parser.add_argument("--source", choices=["hf", "arxiv"], default="hf")
        parser.add_argument("--date", help="HF day, YYYY-MM-DD (default: today, UTC)")
        parser.add_argument("--since", help="first day of an HF backfill, YYYY-MM-DD")
        parser.add_argument("--until", help="last day of an HF backfill (default: today)")
        parser.add_argument("--category", action="append", default=[],
                            help="arXiv category, repeatable (default: ARXIV_CATEGORIES)")
        parser.add_argument("--file", action="append", default=[], type=Path,
                            help="HF daily_papers JSON or arXiv Atom file, repeatable")

    def handle(self, *args, **options):
        if options["file"]:
            runs = [self.ingest_files(options["file"])]
        elif options["source"] == "arxiv":
            runs = [self.ingest_arxiv(options["category"])]
        else:
            runs = self.ingest_hf_days(self.days(options))
        embed_new_papers.delay()  # in-process without a broker; queued for a worker with one
        self.report(runs)

    def days(self, options) -> list[date]:
        today = timezone.now().date()
        if options["since"]:
            since = parse_date(options["since"], "--since")
            until = parse_date(options["until"], "--until") if options["until"] else today
            if since > until:
                raise CommandError(f"--since {since} is after --until {until}")
            return [since + timedelta(days=n) for n in range((until - since).days + 1)]
        if options["until"]:
            raise CommandError("--until needs --since")
        return [parse_date(options["date"], "--date") if options["date"] else today]

    def ingest_files(self, paths: list[Path]) -> IngestRun:
        # Read and check every file before writing anything.
        try:
            listings = {str(path): read_listing_file(path) for path in paths}
        except SourceError as error:
            raise CommandError(str(error)) from None
        return ingest_listings(listings=listings)

    def ingest_arxiv(self, categories: list[str]) -> IngestRun:
        with build_client(site_url=settings.SITE_URL, max_connections=1) as client:
            feed = ArxivFeed(client, sleep=sleep)
            return ingest_arxiv(feed=feed, categories=categories or settings.ARXIV_CATEGORIES,
                                keep=settings.ARXIV_ANNOUNCE_TYPES)

    def ingest_hf_days(self, days: list[date]) -> list[IngestRun]:
        runs = []
        with build_client(site_url=settings.SITE_URL) as client:
            # A bar only for a backfill, and only in a terminal.
            for day in tqdm(days, desc="days", unit="day", disable=len(days) < 2 or None):
                runs.append(ingest_hf(client=client, day=day, sleep=sleep))
        return runs

    def report(self, runs: list[IngestRun]) -> None:
        """One line per run (a failed one's on stderr, with its error), each skipped item
        under its run, a total for a backfill; exit 1 if any run failed."""
        for run in runs:
            report_run(run, stdout=self.stdout, stderr=self.stderr)
        if len(runs) > 1:
            asked = ", ".join(describe(run) for run in runs[:3]) + (" ..." if len(runs) > 3 else "")
            totals = {name: sum(getattr(run, name) for run in runs) for name in COUNTS}
            self.stdout.write(f"{runs[0].get_source_display()} {asked}: {outcome(**totals)}")
        failed = [run for run in runs if run.status == IngestRun.Status.FAILED]
        if failed:
            raise CommandError(f"{len(failed)} of {len(runs)} ingest runs failed")


COUNTS = ("created", "updated", "unchanged", "skipped")


def outcome(*, created: int, updated: int, unchanged: int, skipped: int) -> str:
    counts = f"{created} created, {updated} updated, {unchanged} unchanged"
    return counts + (f", {skipped} skipped" if skipped else "")


def run_line(run: IngestRun) -> str:
    """One run on one line: what it asked for, and what it stored or why it failed."""
    head = f"{run.get_source_display()} {describe(run)}"
    if run.status == IngestRun.Status.FAILED:
        return f"{head}: failed: {' '.join(run.error.split())}"
    return f"{head}: {outcome(**{name: getattr(run, name) for name in COUNTS})}"


def report_run(run: IngestRun, *, stdout, stderr, prefix: str = "") -> None:
    """The run's line (on stderr when it failed), then a line per item it skipped."""
    failed = run.status == IngestRun.Status.FAILED
    (stderr if failed else stdout).write(prefix + run_line(run))
    for reason in run.skip_reasons.splitlines():
        stdout.write(f"{prefix}  skipped {reason}")


def describe(run: IngestRun) -> str:
    request = run.request
    if "date" in request:
        return request["date"]
    if "categories" in request:
        return "+".join(request["categories"])
    if "files" in request:
        return ", ".join(Path(f).name for f in request["files"])
    return ", ".join(f"{k}={v}" for k, v in request.items())
