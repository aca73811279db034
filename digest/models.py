"""Papers, the runs that ingest them, and the digests that carry them."""

import uuid

from django.db import models

from digest.ingest.sources.records import MAX_LENGTHS


class Paper(models.Model):
    """One paper, keyed by arXiv id, merged from every source that listed it."""

    arxiv_id = models.CharField("arXiv id", max_length=MAX_LENGTHS["arxiv_id"], unique=True)
    arxiv_version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    featured_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="Day it was featured on Hugging Face."
    )
    announced_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="Day arXiv announced it."
    )
    announce_type = models.CharField(
        max_length=MAX_LENGTHS["announce_type"], blank=True,
        help_text="How arXiv announced it: new, cross (a cross-list), replace, replace-cross.")
    published_at = models.DateTimeField(null=True, blank=True, help_text="arXiv submission date.")
    upvotes = models.PositiveIntegerField(default=0)
    num_comments = models.PositiveIntegerField(default=0)
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)
    github_repo = models.URLField(max_length=MAX_LENGTHS["github_repo"], blank=True)
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=MAX_LENGTHS["project_page"], blank=True)
    organization = models.CharField(max_length=MAX_LENGTHS["organization"], blank=True)
    thumbnail = models.URLField(max_length=MAX_LENGTHS["thumbnail"], blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-featured_on", "-upvotes"]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title}"

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def primary_category(self) -> str:
        """arXiv lists a paper's primary category first; "" when no source gave any (the
        Hugging Face listing gives none)."""
        return self.categories[0] if self.categories else ""

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"

    @property
    def url(self) -> str:
        """Where a reader should land: the HF page when HF featured it, else arXiv."""
        return self.hf_url if self.featured_on else self.arxiv_url


class IngestRun(models.Model):
    """One fetch of one source, with what it asked for and what it changed."""

    class Source(models.TextChoices):
        HF = "hf", "Hugging Face Daily Papers"
        ARXIV = "arxiv", "arXiv announcements"
        FILE = "file", "File on disk"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=8, choices=Source.choices)
    request = models.JSONField(default=dict, blank=True, help_text="What was asked for.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(
        default=0, help_text="Items left out of the listing (malformed, or not storable).")
    skip_reasons = models.TextField(blank=True, help_text="One line per skipped item: which, why.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Delivery(models.Model):
    """One subscriber's digest for one edition, or one team's (digest.teams): claimed, then
    sent, exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    subscriber = models.ForeignKey(
        "subscriptions.Subscriber", on_delete=models.CASCADE, related_name="deliveries",
        null=True, blank=True,
    )
    # A team's digest has a team instead of a subscriber (a check says: exactly one).
    # No index of its own: the unique (team, edition) one serves lookups by team.
    team = models.ForeignKey("subscriptions.Team", on_delete=models.CASCADE, null=True,
                             blank=True, related_name="deliveries", db_index=False)
    # What the outside world sees of a delivery (its browser link, Message-ID, ESP metadata):
    # random, never the database id.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    edition = models.DateField(help_text="The edition's date in the subscriber's time zone.")
    frequency = models.CharField(max_length=8, default="daily")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was skipped or failed.")
    esp_message_id = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    maybe_sent = models.BooleanField(
        default=False, help_text="An earlier try may have reached the ESP (it timed out, or "
        "its worker died mid-send): the ESP is asked before the digest is sent again.")
    papers = models.ManyToManyField(Paper, through="DeliveryItem", related_name="deliveries")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-edition", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "edition"], name="one_delivery_per_subscriber_edition"
            ),
            models.UniqueConstraint(fields=["team", "edition"],
                                    name="one_delivery_per_team_edition"),
            models.CheckConstraint(
                condition=models.Q(subscriber__isnull=False, team__isnull=True)
                | models.Q(subscriber__isnull=True, team__isnull=False),
                name="delivery_to_a_subscriber_or_a_team"),
        ]
        indexes = [models.Index(fields=["edition", "status"], name="delivery_edition_status_idx")]

    def __str__(self) -> str:
        to = f"team {self.team}" if self.team_id else self.subscriber
        return f"{self.edition} edition for {to} ({self.get_status_display()})"


class DeliveryItem(models.Model):
    """A paper chosen for a delivery, its rank, and why it matched."""

    # No index of its own: one_item_per_paper (delivery, paper) serves lookups by delivery,
    # and each index is paid for on every one of a day's millions of items.
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items",
                                 db_index=False)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="delivery_items")
    rank = models.PositiveSmallIntegerField()
    matched = models.JSONField(
        default=list, blank=True, help_text="The interest lines and words that matched."
    )

    class Meta:
        ordering = ["delivery", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "paper"], name="one_item_per_paper"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank}: {self.paper.arxiv_id}"


class PaperEmbedding(models.Model):
    """A paper's text embedding (MiniLM over title and abstract), computed once, at
    ingestion, stored as float16 bytes (768 for 384 dimensions)."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True,
                                 related_name="embedding")
    model = models.CharField(max_length=60, help_text="Which model and settings made it.")
    vector = models.BinaryField()
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.paper_id} ({self.model})"


class Vote(models.Model):
    """A reader's "More like this" or "Less like this" on a paper, from a digest or the web:
    one per reader and paper (a new click replaces it, undo deletes it)."""

    class Value(models.IntegerChoices):
        MORE = 1, "More like this"
        LESS = -1, "Less like this"

    subscriber = models.ForeignKey("subscriptions.Subscriber", on_delete=models.CASCADE,
                                   related_name="votes")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="votes")
    value = models.SmallIntegerField(choices=Value.choices)
    recommended = models.BooleanField(
        default=False, help_text="The paper came to the reader as a recommendation.")
    voted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-voted_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="one_vote_per_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.get_value_display()}: {self.paper_id} by {self.subscriber_id}"


class ReaderProfile(models.Model):
    """What the learned ranking knows of a reader: the embedding of their own words (their
    description, else their topics' and lines' words), and their scorer in the week's
    feature space (a weight vector and the threshold a recommendation must clear). Refit
    when what it was fitted on changes (a vote, their words or seeds: `inputs_hash`) and
    when the week's space is new."""

    subscriber = models.OneToOneField("subscriptions.Subscriber", on_delete=models.CASCADE,
                                      primary_key=True, related_name="profile")
    text_hash = models.CharField(max_length=64, blank=True,
                                 help_text="Of the words the text embedding was made from.")
    text_embedding = models.BinaryField(blank=True, default=b"")
    space = models.DateField(null=True, blank=True,
                             help_text="The week (its Monday) of the space the scorer is in.")
    weights = models.BinaryField(blank=True, default=b"")
    threshold = models.FloatField(default=0.0)
    kind = models.CharField(max_length=16, blank=True, help_text="rocchio or logistic")
    liked = models.JSONField(default=list, blank=True,
                             help_text="arXiv ids of the seed and upvoted papers, for why.")
    inputs_hash = models.CharField(max_length=64, blank=True,
                                   help_text="Of the words, seeds and votes it was fitted on.")
    fitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.subscriber_id} ({self.kind or 'not fitted'})"


class Follow(models.Model):
    """A reader following a paper ("Follow this paper" on a card): they are told what
    changes on it from then on. One per reader and paper; unfollowing deletes it."""

    subscriber = models.ForeignKey("subscriptions.Subscriber", on_delete=models.CASCADE,
                                   related_name="follows")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="follows")
    followed_at = models.DateTimeField()

    class Meta:
        ordering = ["-followed_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="one_follow_per_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} followed by {self.subscriber_id}"


class PaperEvent(models.Model):
    """Something that changed on a followed paper, as ingestion noticed it: stored once per
    paper, kind and value, however often a listing repeats it."""

    class Kind(models.TextChoices):
        CODE = "code", "Code released"
        VERSION = "version", "New arXiv version"
        UPVOTES = "upvotes", "Upvote milestone"
        PROJECT_PAGE = "project_page", "Project page"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(
        max_length=max(MAX_LENGTHS["github_repo"], MAX_LENGTHS["project_page"]),
        help_text="The repository or page address, the version, or the upvotes reached.")
    noticed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-noticed_at"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "kind", "value"], name="one_event_per_change"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id}: {self.get_kind_display()} {self.value}"


class FollowUpdate(models.Model):
    """A paper event as told to one reader, in one of their digests: an event is told to a
    reader once."""

    subscriber = models.ForeignKey("subscriptions.Subscriber", on_delete=models.CASCADE,
                                   related_name="updates_told")
    event = models.ForeignKey(PaperEvent, on_delete=models.CASCADE, related_name="told")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="updates")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "event"], name="one_telling_per_event"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} told to {self.subscriber_id}"
