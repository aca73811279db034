"""python manage.py preview_digest EMAIL [--date D]: a subscriber's test digest, unsent."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from config.commands import BaseCommand
from digest.deliver.samples import NoTestDigest, digest_build_test, subject_marked_as_test
from digest.management.commands.ingest import parse_date
from subscriptions.models import Subscriber, email_normalize


class Command(BaseCommand):
    help = ("Write the test digest of EMAIL (their latest edition, from their filters as they "
            "are now, papers sent before included) to HTML and text files, and print the "
            "HTML's path. Records nothing and marks nothing as sent.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--date", help="the edition, YYYY-MM-DD (default: their latest)")

    def handle(self, *args, email, date=None, **options):
        edition = parse_date(date, "--date") if date else None
        subscriber = Subscriber.objects.filter(email=email_normalize(email)).first()
        if subscriber is None:
            raise CommandError(f"no subscriber {email}")
        try:
            edition, digest = digest_build_test(subscriber=subscriber, edition=edition)
        except NoTestDigest as error:
            raise CommandError(f"no test digest for {subscriber.email}: {error}") from None
        path = Path(settings.VAR_DIR) / "previews" / f"digest-{subscriber.pk}-{edition}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(digest.html, encoding="utf-8")
        path.with_suffix(".txt").write_text(digest.text, encoding="utf-8")
        self.stdout.write(f"{subject_marked_as_test(subscriber, digest)}: {path}")
