"""Who reads Paperboy and what they follow."""

import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from subscriptions.esp_events import LABELS, Kind


def new_token() -> str:
    """The random part of a subscriber's signed links; rotating it revokes them all."""
    return secrets.token_urlsafe(24)


def email_normalize(email: str) -> str:
    """One spelling per mailbox, so the same reader cannot subscribe twice."""
    return email.strip().lower()


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class Topic(models.Model):
    """A catalog entry operators curate: a named set of interest lines and arXiv categories."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    interests = models.TextField(
        blank=True, help_text="One query per line, in the filter language."
    )
    categories = models.CharField(
        max_length=300, blank=True,
        help_text="arXiv categories separated by spaces, e.g. cs.CL cs.LG.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the signup page.")
    is_active = models.BooleanField(default=True, help_text="Offered on the signup page.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def interest_lines(self) -> list[str]:
        return split_lines(self.interests)

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        SUPPRESSED = "suppressed", "Suppressed by an operator"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Mondays)"

    email = models.EmailField(unique=True, help_text="Stored lowercased and trimmed.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    status_reason = models.CharField(
        max_length=300, blank=True,
        help_text="Why the status last changed: an operator's note, or what the ESP reported.")
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    send_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)], help_text="Local hour, 0-23."
    )
    papers_per_email = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    min_upvotes = models.PositiveIntegerField(default=0)
    interests = models.TextField(
        blank=True, help_text="One query per line, in the filter language."
    )
    authors = models.TextField(blank=True, help_text="Authors to follow, one per line.")
    topics = models.ManyToManyField(Topic, blank=True, related_name="subscribers")
    paused_until = models.DateField(
        null=True, blank=True, help_text="No digests up to and including this day."
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The dispatch tick asks: which active subscribers have this hour in this zone?
            models.Index(fields=["status", "timezone", "send_hour"], name="subscriber_due_idx"),
            models.Index(fields=["created_at"], name="subscriber_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(send_hour__lte=23), name="send_hour_0_23"),
            models.CheckConstraint(
                condition=models.Q(papers_per_email__gte=1, papers_per_email__lte=50),
                name="papers_per_email_1_50",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)

    @property
    def interest_lines(self) -> list[str]:
        return split_lines(self.interests)

    @property
    def author_lines(self) -> list[str]:
        return split_lines(self.authors)


class MailEvent(models.Model):
    """A tracking event from the ESP (bounce, complaint, unsubscribe...), stored once."""

    Kind = Kind

    event_id = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=32, db_index=True, help_text="Anymail's name for it.")
    kind = models.CharField(max_length=16, choices=[(kind.value, LABELS[kind]) for kind in Kind],
                            default=Kind.OTHER.value,
                            help_text="What the ESP's own record says it was.")
    subscriber = models.ForeignKey(Subscriber, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="mail_events")
    recipient = models.EmailField(blank=True)
    esp_message_id = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.recipient}"
