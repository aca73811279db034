"""python manage.py import_subscribers FILE.csv [--confirmed]: bring a list from elsewhere."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils import timezone

from digest.filters import FilterError, validate_interest_lines
from subscriptions.models import Subscriber, Topic
from subscriptions.services import Preferences, subscriber_import

COLUMNS = ["email", "interests", "topics", "frequency"]


class Command(BaseCommand):
    help = ("Import subscribers from a CSV with the columns email, interests (separated by ;), "
            "topics (slugs separated by ;) and frequency (daily or weekly).")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--confirmed", action="store_true",
                            help="the rows already opted in elsewhere: no confirmation mail")

    def handle(self, *args, file: Path, confirmed: bool, **options):
        try:
            rows = list(csv.DictReader(file.open(newline="", encoding="utf-8-sig")))
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        except (UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"{file} is not a UTF-8 CSV file: {error}") from None
        missing = [c for c in ("email",) if rows and c not in rows[0]]
        if missing or not rows:
            raise CommandError(f"{file} needs a header row with the columns "
                               f"{', '.join(COLUMNS)} and at least one row")
        topics = {topic.slug: topic for topic in Topic.objects.all()}
        added = existing = bad = 0
        now = timezone.now()
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            try:
                email, preferences = self.parse_row(row, topics)
            except ValueError as error:
                bad += 1
                self.stderr.write(f"line {line}: {error}")
                continue
            if subscriber_import(email=email, preferences=preferences, confirmed=confirmed,
                                 now=now):
                added += 1
            else:
                existing += 1
        state = "active" if confirmed else "pending, confirmation mailed"
        self.stdout.write(f"Imported {added} subscribers ({state}); {existing} already "
                          f"subscribed; {bad} bad rows skipped.")

    @staticmethod
    def parse_row(row: dict, topics: dict[str, Topic]) -> tuple[str, Preferences]:
        email = (row.get("email") or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"{email!r} is not a valid email address") from None
        try:
            interests = validate_interest_lines("\n".join((row.get("interests") or "").split(";")))
        except FilterError as error:
            raise ValueError(f"interests: {error}") from None
        slugs = [s.strip() for s in (row.get("topics") or "").split(";") if s.strip()]
        unknown = [slug for slug in slugs if slug not in topics]
        if unknown:
            raise ValueError(f"unknown topic {unknown[0]!r}")
        frequency = (row.get("frequency") or "daily").strip().lower()
        if frequency not in Subscriber.Frequency.values:
            raise ValueError(f"frequency must be daily or weekly, got {frequency!r}")
        return email, Preferences(
            topics=[topics[slug] for slug in slugs], frequency=frequency,
            interests=interests)
