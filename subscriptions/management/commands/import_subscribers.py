"""python manage.py import_subscribers FILE.csv [--confirmed]: bring a list from elsewhere."""

import gc
from collections import Counter
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from tqdm import tqdm

from config.commands import BaseCommand
from subscriptions.consent import IMPORT_BATCH, subscribers_import
from subscriptions.importing import (
    ImportFileError,
    ImportRow,
    columns_described,
    import_file_check,
)


class Command(BaseCommand):
    help = (f"Import subscribers from a CSV file with a header row; columns: "
            f"{columns_described()}. interests, topics (slugs) and authors take several values "
            f"separated by ;. Every row is checked as the signup form checks it; a bad row is "
            f"reported by line and skipped; an address already subscribed is left as it is. "
            f"Rows are written {IMPORT_BATCH} to a transaction once all are checked.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--confirmed", action="store_true",
                            help="the rows already opted in elsewhere: no confirmation mail")

    def handle(self, *args, file: Path, confirmed: bool, verbosity: int, **options):
        # The rows read are kept until they are written: the cyclic collector would walk them
        # again and again (a fifth of the time with 100,000 rows), so it waits till the end.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.import_file(file, confirmed=confirmed, verbosity=verbosity)
        finally:
            if collecting:
                gc.enable()

    def import_file(self, file: Path, *, confirmed: bool, verbosity: int) -> None:
        # Progress bars on stderr in a terminal, or anywhere with -v 2.
        bars = {"unit": "row", "disable": None if verbosity < 2 else False}
        try:
            with tqdm(desc="checked", **bars) as bar:
                check = import_file_check(path=file, progress=bar.update)
        except ImportFileError as error:
            raise CommandError(str(error)) from None
        for rejected in check.rejected:
            self.stderr.write(f"line {rejected.line}: {rejected.reason}")
        outcomes, erased = self.write(check.rows, confirmed=confirmed, bars=bars)
        for row in erased:
            self.stderr.write(f"line {row.line}: {row.email} had their data erased at their "
                              f"request; only they can subscribe again")
        added = outcomes["added"] + outcomes["confirmation-sent"]
        state = "active" if confirmed else "confirmation mailed; subscribed once confirmed"
        skipped = len(check.rejected) + outcomes["erased"]
        self.stdout.write(f"Added {plural(added, 'subscriber')} ({state}); "
                          f"{outcomes['exists']} already there, left as they were; "
                          f"{plural(skipped, 'row')} skipped.")

    def write(self, rows: list[ImportRow], *, confirmed: bool, bars: dict
              ) -> tuple[Counter, list[ImportRow]]:
        """Each outcome's count, and the rows refused as erased."""
        outcomes, erased, now = Counter(), [], timezone.now()
        with tqdm(desc="written", total=len(rows), **bars) as bar:
            for start in range(0, len(rows), IMPORT_BATCH):
                batch = rows[start:start + IMPORT_BATCH]
                done = subscribers_import(rows=[(row.email, row.preferences) for row in batch],
                                          confirmed=confirmed, now=now)
                outcomes.update(done)
                erased += [row for row, outcome in zip(batch, done, strict=True)
                           if outcome == "erased"]
                bar.update(len(batch))
        return outcomes, erased


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
