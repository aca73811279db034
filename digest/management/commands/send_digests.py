"""python manage.py send_digests: build and send the digests that are due."""

import gc
from collections import Counter
from datetime import date

from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.utils import timezone
from tqdm import tqdm

from config.commands import BaseCommand
from digest.deliver.batch import deliveries_send
from digest.editions.build import deliveries_build, edition_batches
from digest.editions.due import subscribers_due, subscribers_for_edition
from digest.editions.sizes import digest_sizes
from digest.management.commands.ingest import parse_date
from digest.models import Delivery
from digest.tasks import retry_later
from digest.teams.build import team_deliveries_build
from digest.teams.due import teams_due
from subscriptions.models import Subscriber, email_normalize


def editions_due(*, day: date | None, email: str | None) -> list[tuple[date, QuerySet]]:
    """With a day: that edition for everyone due it, whatever their hour. Without: who is
    due now, in their own time zone."""
    if day is not None:
        editions = [(day, subscribers_for_edition(edition=day))]
    else:
        editions = list(subscribers_due(now=timezone.now()))
    if email:
        editions = [(edition, due.filter(email=email_normalize(email)))
                    for edition, due in editions]
    return editions


def nobody_due(day: date | None) -> str:
    if day is not None:
        return (f"Nobody is due edition {day}: no active reader is waiting for it (each has it "
                f"already, is paused, or reads weekly and it is not a Monday).")
    return ("Nobody is due a digest now: each reader gets theirs at their own hour. To build an "
            "edition for everyone, whatever their hour, name it: send_digests --date YYYY-MM-DD "
            f"(with --dry-run to only look), e.g. --date {timezone.localdate()}.")


class Command(BaseCommand):
    help = "Build and send due digests (with --date, edition D for everyone due it)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the edition, YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true",
                            help="print who would get how many papers; write and send nothing")
        parser.add_argument("--email", help="only this subscriber")

    def handle(self, *args, date=None, dry_run=False, email=None, **options):
        # What Django and its libraries loaded stays to the end: the garbage collector need
        # not walk it again each time a million readers' values make it run.
        gc.freeze()
        day = parse_date(date, "--date") if date else None
        if email and not Subscriber.objects.filter(email=email_normalize(email),
                                                   status=Subscriber.Status.ACTIVE).exists():
            raise CommandError(f"no active subscriber {email}")
        editions = editions_due(day=day, email=email)
        if dry_run:
            self.dry_run(editions, day=day)
            return
        ids, skipped = [], 0
        for edition, due in editions:
            built = deliveries_build(edition=edition, subscribers=due)
            skipped += built.skipped
            waiting = Delivery.objects.filter(edition=edition, status=Delivery.Status.PENDING)
            if email:
                waiting = waiting.filter(subscriber__email=email_normalize(email))
            ids += sorted(set(built.to_send) | set(waiting.values_list("pk", flat=True)))
        if not email:  # and the teams' digests (digest.teams)
            for edition, teams in teams_due(day=day, now=timezone.now()):
                built = team_deliveries_build(edition=edition, teams=teams)
                skipped += built.skipped
                ids += built.to_send
        with tqdm(total=len(ids), unit="digest", disable=None) as bar:
            counts = deliveries_send(ids, on_transient=retry_later, progress=bar.update)
        self.stdout.write(self.summary(editions, counts, skipped))

    def dry_run(self, editions, *, day: date | None) -> None:
        would: Counter = Counter()
        for edition, due in editions:
            for batch in edition_batches(edition=edition, subscribers=due):
                sizes = digest_sizes(batch, edition=edition).tolist()
                skipped = sizes.count(0)
                would["sent"] += len(sizes) - skipped
                would["skipped"] += skipped
                shown = {size: f": {size} papers" for size in set(sizes)}
                shown[0] = ": no matches, skipped"
                self.stdout.write("\n".join(
                    f"{edition} {email}{shown[size]}"
                    for email, size in zip(batch.emails, sizes, strict=True)))
        if not would:
            self.stdout.write(nobody_due(day))
            return
        self.stdout.write(f"Dry run: {would['sent']} digests would be sent, "
                          f"{would['skipped']} skipped; nothing written.")

    @staticmethod
    def summary(editions, counts: Counter, skipped: int) -> str:
        days = ", ".join(sorted({str(edition) for edition, _ in editions})) or "none due"
        return (f"Editions {days}: {counts['sent']} sent, {skipped} skipped (no matches), "
                f"{counts['skipped']} skipped (unsubscribed or paused), {counts['failed']} "
                f"failed, {counts['retrying']} to retry.")
