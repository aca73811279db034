"""Who reads Paperboy and what they follow."""

import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from subscriptions.addresses import email_normalize, validate_address_characters
from subscriptions.esp_events import LABELS, Kind


def new_token() -> str:
    """The random part of a subscriber's signed links; rotating it revokes them all."""
    return secrets.token_urlsafe(24)


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

    @property
    def lines(self) -> list[str]:
        """What the matcher looks for: its interest lines and a cat: line per category."""
        return self.interest_lines + [f"cat:{category}" for category in self.category_list]


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    SUPPRESSED = "suppressed", "Suppressed by an operator"


def mailable_q(*, on, prefix: str = "") -> models.Q:
    """Who may be mailed a digest of day `on` (a date, or an expression such as
    F("edition")): active readers not paused that day. The one statement of the rule:
    the tick, the claim before each send and the commands all use it. `prefix` reaches the
    subscriber through a relation (e.g. "subscriber__")."""
    return models.Q(**{f"{prefix}status": SubscriberStatus.ACTIVE}) & (
        models.Q(**{f"{prefix}paused_until__isnull": True})
        | models.Q(**{f"{prefix}paused_until__lt": on}))


class SubscriberQuerySet(models.QuerySet):
    def mailable(self, *, on) -> "SubscriberQuerySet":
        return self.filter(mailable_q(on=on))


class Subscriber(models.Model):
    """A reader who opted in, or the record of an address that opted out (kept so that no form
    or import can bring it back). Sign-ups waiting for confirmation are SignupRequests."""

    Status = SubscriberStatus

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Mondays)"

    email = models.EmailField(unique=True, help_text="Stored lowercased and trimmed.",
                              validators=[validate_address_characters])
    # No default: every record says how it came to be (a confirmed opt-in, an import).
    # Changed only by subscriber_status_change, which writes the reader's history.
    status = models.CharField(max_length=16, choices=Status.choices)
    status_changed_at = models.DateTimeField(auto_now_add=True)
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
    description = models.TextField(
        blank=True, help_text="What they follow, in their own words (the learned ranking "
        "reads it).")
    seed_papers = models.TextField(
        blank=True, help_text="arXiv ids of papers like the ones they want, one per line.")
    recommendations = models.BooleanField(
        default=True, help_text="Fill the digest with papers the model recommends, beyond "
        "those their lines match.")
    follow_updates = models.BooleanField(
        default=True, help_text="Open the digest with what changed on the papers they "
        "follow (code, a new version, upvotes, a project page).")
    paused_until = models.DateField(
        null=True, blank=True, help_text="No digests up to and including this day."
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The dispatch tick asks: which active subscribers have this hour in this zone?
            models.Index(fields=["status", "timezone", "send_hour"], name="subscriber_due_idx"),
            models.Index(fields=["created_at"], name="subscriber_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(send_hour__lte=23), name="send_hour_0_23"),
            models.CheckConstraint(condition=models.Q(status__in=SubscriberStatus.values),
                                   name="subscriber_status_known"),
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

    @property
    def seed_ids(self) -> list[str]:
        return split_lines(self.seed_papers)


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


class HistoryEntry(models.Model):
    """One thing that happened to a reader's consent: who did it, when, why, and the status
    before and after (equal when nothing changed, e.g. an operator asked them to confirm)."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=200, help_text="The reader, an operator, the ESP...")
    action = models.CharField(max_length=60)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "history entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.action}"


class SignupRequest(models.Model):
    """A sign-up waiting for its owner to confirm it, with what they asked for. Kept apart
    from any record of the address: a signup changes nothing until its owner confirms, so an
    outsider typing someone's address can neither erase their opt-out nor change their
    filters. Deleted once its confirmation link has expired."""

    class Origin(models.TextChoices):
        SIGNUP = "signup", "Signup form"
        RESUBSCRIBE = "resubscribe", "Subscribe again (manage page)"
        IMPORT = "import", "Import"
        OPERATOR = "operator", "Operator asked to confirm again"

    key = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    email = models.EmailField(db_index=True, validators=[validate_address_characters])
    preferences = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.SIGNUP)
    requested_at = models.DateTimeField(db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_origin_display()})"

    def save(self, *args, **kwargs):
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)


class ErasedAddress(models.Model):
    """A keyed hash of an address whose owner had all their data deleted: nothing else of
    them is kept, and an import cannot bring the address back."""

    address_hash = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "erased addresses"

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… erased {self.erased_at:%Y-%m-%d}"


class TeamStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its address to confirm"
    ACTIVE = "active", "Active"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed (from its address)"
    SUPPRESSED = "suppressed", "Suppressed (bounced, complained, or an operator)"


def team_mailable_q(*, on, prefix: str = "") -> models.Q:
    """Which teams may be mailed a digest of day `on`: those whose address confirmed, not
    paused that day. The teams' counterpart of mailable_q, used by their tick and the claim."""
    return models.Q(**{f"{prefix}status": TeamStatus.ACTIVE}) & (
        models.Q(**{f"{prefix}paused_until__isnull": True})
        | models.Q(**{f"{prefix}paused_until__lt": on}))


class Team(models.Model):
    """A group's digest: one mail to one address (a lab's mailing list) covering what its
    confirmed members follow. The address confirms before anything is sent to it (a
    signed link mailed to it), and its unsubscribe link stops the team, not the members."""

    Status = TeamStatus

    name = models.CharField(max_length=100)
    address = models.EmailField(help_text="Where the team's digest goes, e.g. a mailing list.",
                                validators=[validate_address_characters])
    owner = models.ForeignKey(Subscriber, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="teams_owned",
                              help_text="The reader who manages it (none: an operator does).")
    # Changed only by subscriptions.teams.membership, never edited.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    frequency = models.CharField(max_length=8, choices=Subscriber.Frequency.choices,
                                 default=Subscriber.Frequency.DAILY)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    send_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)], help_text="Local hour, 0-23.")
    papers_per_email = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(50)])
    paused_until = models.DateField(
        null=True, blank=True, help_text="No digests up to and including this day.")
    # Names the team in its owner's pages: random, never the database id.
    key = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # The random part of the team's unsubscribe link; rotating it revokes the links.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # The random part of the address's open confirmation link: "" when none is open.
    confirm_key = models.CharField(max_length=64, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When its address last confirmed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["status", "timezone", "send_hour"],
                                name="team_due_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=TeamStatus.values),
                                   name="team_status_known"),
            models.CheckConstraint(condition=models.Q(send_hour__lte=23),
                                   name="team_send_hour_0_23"),
            models.CheckConstraint(
                condition=models.Q(papers_per_email__gte=1, papers_per_email__lte=50),
                name="team_papers_per_email_1_50"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def save(self, *args, **kwargs):
        self.address = email_normalize(self.address)
        super().save(*args, **kwargs)


class TeamMember(models.Model):
    """An address invited to a team, and once its owner (a reader) confirms from the mailed
    link, a member whose interests the team's digest covers. Invitations nobody confirmed
    are deleted when their link expires."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    email = models.EmailField(validators=[validate_address_characters])
    name = models.CharField(max_length=60, blank=True,
                            help_text="How the digest's cards name them (else the address's "
                                      "part before the @).")
    subscriber = models.ForeignKey(Subscriber, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="team_memberships",
                                   help_text="The reader, once they confirmed.")
    key = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["team", "invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "email"], name="one_membership_per_address"),
        ]

    def __str__(self) -> str:
        return f"{self.label} in {self.team_id}"

    def save(self, *args, **kwargs):
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """How the team's digest names them."""
        return self.name or self.email.partition("@")[0]

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None and self.subscriber_id is not None
