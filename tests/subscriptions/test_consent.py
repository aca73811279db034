"""Consent as a reader, an outsider and an operator see it: only the owner's own confirmed
opt-in makes an address active, every change is in the reader's history, and a signup or an
import never changes an existing record."""

import csv
import io
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from digest.models import Delivery, Paper, ReaderProfile, Vote
from subscriptions import admin as subscriptions_admin
from subscriptions import tokens
from subscriptions.consent import (
    operator,
    subscriber_ask_to_confirm,
    subscriber_import,
    subscriber_lift_suppression,
    subscriber_suppress,
)
from subscriptions.models import ErasedAddress, Subscriber
from subscriptions.retention import signup_requests_purge
from subscriptions.services import Preferences
from subscriptions.spreadsheets import cell_restore, cell_safe
from tests.digest.factories import (
    DeliveryFactory,
    IngestRunFactory,
    PaperFactory,
    ReaderProfileFactory,
    VoteFactory,
)
from tests.subscriptions.factories import (
    HistoryEntryFactory,
    MailEventFactory,
    SignupRequestFactory,
    SubscriberFactory,
)
from tests.web import last_mail_to, links_in, signup_data, tamper

pytestmark = pytest.mark.django_db
OPS = operator("operator")


@pytest.fixture
def unsubscribed():
    reader = SubscriberFactory(email="ada@example.org", status="unsubscribed",
                               interests="diffusion", consent_ip="192.0.2.1")
    return reader


def manage(reader) -> str:
    return reverse("subscriptions:manage", args=[tokens.token_make(subscriber=reader,
                                                                   purpose=tokens.MANAGE)])


def test_an_outsider_cannot_erase_an_opt_out(client, unsubscribed, settings):
    """The attack: sign up with someone's unsubscribed address, wait for the purge of
    unconfirmed sign-ups, then import the address as active."""
    client.post("/", signup_data("ada@example.org", interests="crypto"))
    unsubscribed.refresh_from_db()
    assert (unsubscribed.status, unsubscribed.interests) == ("unsubscribed", "diffusion")

    later = timezone.now() + timezone.timedelta(days=settings.CONFIRM_LINK_MAX_AGE_DAYS + 1)
    assert signup_requests_purge(now=later) == 1  # the request goes, the opt-out stays
    assert Subscriber.objects.get(email="ada@example.org").status == "unsubscribed"

    outcome = subscriber_import(email="ada@example.org", preferences=Preferences(),
                                confirmed=True, now=later)
    assert outcome == "exists"
    assert Subscriber.objects.get(email="ada@example.org").status == "unsubscribed"


def test_only_the_owners_confirmation_brings_an_opt_out_back(client, unsubscribed):
    client.post("/", signup_data("ada@example.org", interests="crypto"))
    confirm = links_in(last_mail_to("ada@example.org"))["confirm"]
    client.post(confirm, REMOTE_ADDR="198.51.100.20")
    unsubscribed.refresh_from_db()
    assert (unsubscribed.status, unsubscribed.interests) == ("active", "crypto")
    assert unsubscribed.consent_ip == "198.51.100.20" and unsubscribed.consent_at
    entry = unsubscribed.history.first()
    assert (entry.old_status, entry.new_status, entry.actor) == ("unsubscribed", "active",
                                                                 "reader")


@pytest.mark.parametrize(("before", "after_lift"), [
    ("active", "active"), ("unsubscribed", "unsubscribed"), ("bounced", "bounced"),
    ("complained", "complained")])
def test_lifting_a_suppression_returns_the_reader_to_where_they_were(before, after_lift):
    reader = SubscriberFactory(email="r@example.org", status=before)
    now = timezone.now()
    assert subscriber_suppress(subscriber=reader, actor=OPS, reason="abuse report", now=now)
    assert subscriber_lift_suppression(subscriber=reader, actor=OPS, reason="sorted out",
                                       now=now)
    reader.refresh_from_db()
    assert reader.status == after_lift
    assert [(e.action, e.old_status, e.new_status, e.reason) for e in reader.history.all()] == [
        ("suppression lifted", "suppressed", after_lift, "sorted out"),
        ("suppressed", before, "suppressed", "abuse report")]


def test_a_suppression_older_than_the_history_never_lifts_to_active():
    reader = SubscriberFactory(email="r@example.org", status="suppressed")
    subscriber_lift_suppression(subscriber=reader, actor=OPS, reason="why not",
                                now=timezone.now())
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"  # unknown: never mail without knowing


def test_asking_to_confirm_again_mails_an_opt_in_and_changes_nothing_until_confirmed(client):
    reader = SubscriberFactory(email="r@example.org", status="bounced", interests="diffusion")
    assert subscriber_ask_to_confirm(subscriber=reader, actor=OPS, reason="mailbox fixed",
                                     now=timezone.now())
    reader.refresh_from_db()
    assert reader.status == "bounced"
    message = last_mail_to("r@example.org")
    assert message.subject == "Confirm your Paperboy subscription"
    client.post(links_in(message)["confirm"])
    reader.refresh_from_db()
    assert (reader.status, reader.interests) == ("active", "diffusion")
    assert [e.action for e in reader.history.all()] == ["confirmed", "asked to confirm again"]


def test_an_operators_suppression_is_not_undone_by_a_web_signup(client):
    reader = SubscriberFactory(email="r@example.org", status="active")
    client.post("/", signup_data("r@example.org"))  # active: a manage link, no request
    request = SignupRequestFactory(email="r@example.org")
    subscriber_suppress(subscriber=reader, actor=OPS, reason="spam trap", now=timezone.now())
    mail.outbox.clear()
    client.post("/", signup_data("r@example.org"))
    assert mail.outbox == []  # a suppressed address gets no mail from a form
    page = client.post(reverse("subscriptions:confirm",
                               args=[tokens.confirm_token_make(request=request)]))
    assert page.status_code == 400 and "We no longer send mail" in page.content.decode()
    reader.refresh_from_db()
    assert reader.status == "suppressed"


# --- the admin ----------------------------------------------------------------------------


def test_the_admin_cannot_set_a_status(staff_client, unsubscribed):
    """The change form has no status field: posting one changes nothing."""
    change = reverse("admin:subscriptions_subscriber_change", args=[unsubscribed.pk])
    page = staff_client.get(change).content.decode()
    assert 'name="status"' not in page and 'name="email"' not in page
    staff_client.post(change, {"status": "active", "email": "x@example.org",
                               "interests": "diffusion", "authors": "", "min_upvotes": 0,
                               "papers_per_email": 10, "frequency": "daily",
                               "timezone": "UTC", "send_hour": 8})
    unsubscribed.refresh_from_db()
    assert (unsubscribed.status, unsubscribed.email) == ("unsubscribed", "ada@example.org")


def test_the_change_page_acts_with_a_reason_and_shows_the_history(staff_client, unsubscribed):
    act = reverse("admin:subscriptions_subscriber_consent",
                  args=[unsubscribed.pk, "ask_to_confirm"])
    change = reverse("admin:subscriptions_subscriber_change", args=[unsubscribed.pk])
    assert act in staff_client.get(change).content.decode()
    assert "Reason" in staff_client.get(act).content.decode()
    assert mail.outbox == []  # nothing before the reason
    assert staff_client.post(act, {"reason": "asked by phone"})["Location"] == change
    assert last_mail_to("ada@example.org").subject == "Confirm your Paperboy subscription"
    page = staff_client.get(change).content.decode()
    assert "asked to confirm again" in page and "asked by phone" in page
    assert "operator operator" in page


def test_the_admin_shows_no_token_or_signed_link(staff_client, unsubscribed):
    HistoryEntryFactory(subscriber=unsubscribed, actor="reader", action="unsubscribed",
                        reason="link")
    page = staff_client.get(reverse("admin:subscriptions_subscriber_change",
                                    args=[unsubscribed.pk])).content.decode()
    assert unsubscribed.token not in page
    assert "/manage/" not in page and "/u/" not in page and "/confirm/" not in page


def test_an_operator_can_send_a_fresh_manage_link(staff_client, unsubscribed):
    changelist = reverse("admin:subscriptions_subscriber_changelist")
    bounced = SubscriberFactory(email="b@example.org", status="bounced")
    staff_client.post(changelist, {"action": "send_manage_link",
                                   "_selected_action": [unsubscribed.pk, bounced.pk]})
    [message] = mail.outbox  # the bounced address may not be mailed
    assert message.to == ["ada@example.org"] and "manage" in links_in(message)
    assert unsubscribed.history.get().action == "manage link sent"


def test_audit_rows_cannot_be_deleted_in_the_admin(staff_client, unsubscribed):
    delivery = DeliveryFactory(subscriber=unsubscribed, status="failed")
    run = IngestRunFactory()
    event = MailEventFactory()
    for obj in (delivery, run, event, unsubscribed):
        opts = obj._meta
        delete = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
        assert staff_client.post(delete, {"post": "yes"}).status_code == 403
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        form = staff_client.get(changelist).context["action_form"]
        assert form is None or "delete_selected" not in dict(form.fields["action"].choices)
        assert obj.__class__.objects.filter(pk=obj.pk).exists()
    actions = staff_client.get(reverse("admin:digest_delivery_changelist")).context[
        "action_form"].fields["action"].choices
    assert "retry_failed" in dict(actions)


def test_a_nul_in_an_admin_list_filter_is_a_clear_400(staff_client, unsubscribed):
    changelist = reverse("admin:subscriptions_subscriber_changelist")
    for query in ({"timezone": "\x00"}, {"q": "a\x00b"}, {"email__exact": "\x00"}):
        assert staff_client.get(changelist, query).status_code == 400


def test_the_csv_export_neutralises_spreadsheet_formulas(staff_client):
    reader = SubscriberFactory(email="f@example.org",
                               interests='=HYPERLINK("http://evil","x")\n-robotics x')
    response = staff_client.post(reverse("admin:subscriptions_subscriber_changelist"),
                                 {"action": "export_csv", "_selected_action": [reader.pk]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][5] == "'=HYPERLINK(\"http://evil\",\"x\");-robotics x"
    for dangerous in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert cell_safe(dangerous) == "'" + dangerous
        assert cell_restore(cell_safe(dangerous)) == dangerous
    assert cell_safe("plain") == "plain" and cell_restore("'quoted") == "'quoted"


def test_the_csv_export_reads_readers_a_chunk_at_a_time_with_their_topics(staff_client,
                                                                          monkeypatch):
    monkeypatch.setattr(subscriptions_admin, "EXPORT_CHUNK", 2)
    readers = [SubscriberFactory(email=f"r{n}@example.org", interests=f"line {n}\nmore",
                                 topics=["robotics", "speech-audio"][:n % 3]) for n in range(5)]
    response = staff_client.post(reverse("admin:subscriptions_subscriber_changelist"), {
        "action": "export_csv", "_selected_action": [reader.pk for reader in readers]})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((row["email"], row["interests"], row["topics"]) for row in rows) == [
        ("r0@example.org", "line 0;more", ""),
        ("r1@example.org", "line 1;more", "robotics"),
        ("r2@example.org", "line 2;more", "robotics;speech-audio"),
        ("r3@example.org", "line 3;more", ""),
        ("r4@example.org", "line 4;more", "robotics"),
    ]


# --- the reader's own data -------------------------------------------------------------------


def test_a_reader_downloads_everything_held_about_them(client, unsubscribed):
    HistoryEntryFactory(subscriber=unsubscribed, actor="reader", action="unsubscribed",
                        reason="the unsubscribe link")
    DeliveryFactory(subscriber=unsubscribed, status="sent")
    MailEventFactory(event_type="deferred", subscriber=unsubscribed, description="mailbox full")
    page = client.get(manage(unsubscribed)).content.decode()
    assert "Download everything we hold about you" in page
    token = tokens.token_make(subscriber=unsubscribed, purpose=tokens.MANAGE)
    url = reverse("subscriptions:my-data", args=[token])
    response = client.get(url)
    assert response["Content-Disposition"] == 'attachment; filename="paperboy-my-data.json"'
    data = json.loads(response.content)
    assert data["email"] == "ada@example.org"
    assert data["preferences"]["interests"] == "diffusion"
    assert data["consent"]["consent_ip"] == "192.0.2.1"
    assert data["history"][0]["action"] == "unsubscribed"
    assert data["deliveries"][0]["status"] == "sent"
    assert data["mail_events"][0]["description"] == "mailbox full"
    forged = reverse("subscriptions:my-data", args=[tamper(token)])
    assert client.get(forged).status_code == 400


def test_a_reader_deletes_their_data_and_an_import_cannot_bring_it_back(client, unsubscribed):
    DeliveryFactory(subscriber=unsubscribed)
    url = manage(unsubscribed)
    kept = client.post(url, {"action": "erase"}, follow=True)  # the box not ticked
    assert "Tick the box" in kept.content.decode() and Subscriber.objects.exists()
    done = client.post(url, {"action": "erase", "erase_confirmed": "yes"})
    assert "Your data is deleted" in done.content.decode()
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()
    [erased] = ErasedAddress.objects.all()
    assert "ada" not in erased.address_hash and len(erased.address_hash) == 64
    assert subscriber_import(email="Ada@example.org", preferences=Preferences(),
                             confirmed=True, now=timezone.now()) == "erased"
    assert not Subscriber.objects.exists()
    # The owner can always come back themselves.
    client.post("/", signup_data("ada@example.org"))
    client.post(links_in(last_mail_to("ada@example.org"))["confirm"])
    assert Subscriber.objects.get().status == "active"
    assert not ErasedAddress.objects.exists()


def test_the_download_lists_the_readers_votes_and_what_they_follow_in_their_words(
        client, unsubscribed):
    Subscriber.objects.filter(pk=unsubscribed.pk).update(
        description="Interpretability of language models.", seed_papers="2508.13426")
    liked = PaperFactory(arxiv_id="2611.14021", title="Sparse Autoencoders Find Shared Features")
    disliked = PaperFactory(arxiv_id="2611.13877", title="Flow Matching for Video Generation")
    VoteFactory(subscriber=unsubscribed, paper=liked, value=Vote.Value.MORE)
    VoteFactory(subscriber=unsubscribed, paper=disliked, value=Vote.Value.LESS)
    VoteFactory(paper=liked)  # someone else's
    token = tokens.token_make(subscriber=unsubscribed, purpose=tokens.MANAGE)
    data = json.loads(client.get(reverse("subscriptions:my-data", args=[token])).content)
    assert sorted((vote["arxiv_id"], vote["title"], vote["vote"]) for vote in data["votes"]) == [
        ("2611.13877", "Flow Matching for Video Generation", "Less like this"),
        ("2611.14021", "Sparse Autoencoders Find Shared Features", "More like this")]
    assert all(vote["at"] for vote in data["votes"])
    assert data["preferences"]["description"] == "Interpretability of language models."
    assert data["preferences"]["seed_papers"] == "2508.13426"


def test_erasing_a_reader_deletes_their_votes_and_learned_profile(client, unsubscribed):
    paper = PaperFactory(arxiv_id="2611.14021")
    VoteFactory(subscriber=unsubscribed, paper=paper)
    ReaderProfileFactory(subscriber=unsubscribed, kind="rocchio", liked=["2611.14021"])
    other = VoteFactory(paper=paper)
    ReaderProfileFactory(subscriber=other.subscriber)
    done = client.post(manage(unsubscribed), {"action": "erase", "erase_confirmed": "yes"})
    assert "Your data is deleted" in done.content.decode()
    assert list(Vote.objects.all()) == [other]
    assert list(ReaderProfile.objects.values_list("subscriber", flat=True)) == [
        other.subscriber.pk]
    assert Paper.objects.filter(arxiv_id="2611.14021").exists()  # the paper is no one's data
