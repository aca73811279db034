"""python manage.py import_subscribers FILE.csv [--confirmed]: bring a list from elsewhere."""

from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from config.commands import BaseCommand
from subscriptions.consent import subscriber_import
from subscriptions.importing import (
    ImportFileError,
    columns_described,
    import_file_read,
    import_rows_check,
)


class Command(BaseCommand):
    help = (f"Import subscribers from a CSV file with a header row; columns: "
            f"{columns_described()}. interests, topics (slugs) and authors take several values "
            f"separated by ;. Every row is checked as the signup form checks it; a bad row is "
            f"reported by line and skipped; an address already subscribed is left as it is.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--confirmed", action="store_true",
                            help="the rows already opted in elsewhere: no confirmation mail")

    def handle(self, *args, file: Path, confirmed: bool, **options):
        try:
            header, rows = import_file_read(path=file)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        check = import_rows_check(header=header, rows=rows)
        for rejected in check.rejected:
            self.stderr.write(f"line {rejected.line}: {rejected.reason}")
        outcomes, now = Counter(), timezone.now()
        for row in tqdm(check.rows, unit="row", disable=None):
            outcome = subscriber_import(email=row.email, preferences=row.preferences,
                                        confirmed=confirmed, now=now)
            if outcome == "erased":
                self.stderr.write(f"line {row.line}: {row.email} had their data erased at "
                                  f"their request; only they can subscribe again")
            outcomes[outcome] += 1
        added = outcomes["added"] + outcomes["confirmation-sent"]
        state = "active" if confirmed else "confirmation mailed; subscribed once confirmed"
        skipped = len(check.rejected) + outcomes["erased"]
        self.stdout.write(f"Added {plural(added, 'subscriber')} ({state}); "
                          f"{outcomes['exists']} already there, left as they were; "
                          f"{plural(skipped, 'row')} skipped.")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
