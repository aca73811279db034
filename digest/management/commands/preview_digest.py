"""python manage.py preview_digest EMAIL [--date D]: a subscriber's digest as HTML, unsent."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from config.commands import BaseCommand
from digest.deliver.samples import digest_for_subscriber
from digest.management.commands.ingest import parse_date
from subscriptions.models import Subscriber, email_normalize


class Command(BaseCommand):
    help = "Write the digest EMAIL would get for an edition to an HTML file, and print its path."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--date", help="the edition, YYYY-MM-DD (default: today)")

    def handle(self, *args, email, date=None, **options):
        edition = parse_date(date, "--date") if date else timezone.localdate()
        subscriber = Subscriber.objects.filter(email=email_normalize(email)).first()
        if subscriber is None:
            raise CommandError(f"no subscriber {email}")
        digest = digest_for_subscriber(
            subscriber=subscriber, edition=edition,
            browser_url=settings.SITE_URL + reverse("latest-papers"))
        if digest is None:
            self.stdout.write(f"Nothing new for {subscriber.email} on {edition}: "
                              f"that edition would be skipped.")
            return
        path = Path(settings.VAR_DIR) / "previews" / f"digest-{subscriber.pk}-{edition}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(digest.html, encoding="utf-8")
        self.stdout.write(f"{digest.subject} ({digest.papers} papers): {path}")
