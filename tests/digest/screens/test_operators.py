"""The admin as operators use it, on a few thousand rows (CI runs this on PostgreSQL too):
every list, change page and action, through the same services as the tasks."""

import csv
import datetime
import io
import re
import zoneinfo
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from digest.management.commands.demo import SAMPLE
from digest.models import Delivery, DeliveryItem, IngestRun, Paper, Vote
from subscriptions.models import MailEvent, SignupRequest, Subscriber, Topic
from tests.digest.factories import DeliveryFactory, DeliveryItemFactory, IngestRunFactory
from tests.mails import visible
from tests.sources import FakeInternet, json_file
from tests.subscriptions.factories import (
    MailEventFactory,
    SignupRequestFactory,
    SubscriberFactory,
)
from tests.web import read_page

pytestmark = pytest.mark.django_db
SUBSCRIBERS = 3000


@pytest.fixture
def world():
    """Papers of the sample, 3,000 subscribers, deliveries with papers, events, runs."""
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    Paper.objects.update(featured_on=timezone.localdate() - datetime.timedelta(days=1))
    zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]
    statuses = ["active"] * 7 + ["suppressed", "unsubscribed", "bounced"]
    Subscriber.objects.bulk_create([
        SubscriberFactory.build(
            email=f"reader{n}@example.org", status=statuses[n % 10], timezone=zones[n % 4],
            interests="sparse autoencoder" if n % 2 else "speech", token=f"token-{n:06d}",
            consent_at=timezone.now())
        for n in range(SUBSCRIBERS)])
    interp = Topic.objects.get(slug="interpretability")
    interp.subscribers.add(*Subscriber.objects.filter(email__startswith="reader1"))
    edition = timezone.localdate() - datetime.timedelta(days=1)
    readers = list(Subscriber.objects.order_by("pk")[:2000])
    Delivery.objects.bulk_create([
        DeliveryFactory.build(subscriber=r, edition=edition,
                              status=["sent", "skipped", "failed"][n % 3],
                              reason="ESP said no" if n % 3 == 2 else "")
        for n, r in enumerate(readers)])
    paper = Paper.objects.get(arxiv_id="2611.14021")
    DeliveryItem.objects.bulk_create([
        DeliveryItemFactory.build(delivery=d, paper=paper, rank=1,
                                  matched=[{"line": "sparse", "words": []}])
        for d in Delivery.objects.filter(status="sent")])
    MailEventFactory(subscriber=readers[0], recipient=readers[0].email,
                     description="mailbox full")
    return {"edition": edition, "paper": paper, "first": readers[0]}


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def act(staff_client, model, action: str, objects, **extra):
    return staff_client.post(changelist(model), {
        "action": action, "_selected_action": [o.pk for o in objects], **extra})


def logged(obj, text: str) -> bool:
    return LogEntry.objects.filter(object_id=str(obj.pk), change_message__contains=text).exists()


def test_every_list_and_change_page_loads(staff_client, world, django_assert_max_num_queries):
    SignupRequestFactory(email="new@example.org")
    for model in (Subscriber, SignupRequest, Topic, Paper, Delivery, IngestRun, MailEvent):
        with django_assert_max_num_queries(25):
            assert staff_client.get(changelist(model)).status_code == 200, model
        obj = model.objects.first()
        assert staff_client.get(change(obj)).status_code == 200, model


def test_the_dashboard_shows_the_figures_with_a_few_queries(staff_client, world,
                                                             django_assert_max_num_queries):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin-dashboard") in index
    with django_assert_max_num_queries(15):
        html = staff_client.get(reverse("admin-dashboard")).content.decode()
    page = read_page(html)
    assert "Active 2100" in page.text and "Bounced 300" in page.text
    # The world's 2,000 digests were all decided just now (none has a sending time yet).
    assert "Deliveries by the time the mail left" in page.text
    assert "Today 30 days Sent 667 667 Skipped 667 667 Failed 666 666" in page.text
    assert html.count('<svg class="chart"') == 5
    assert "1 file: hf_daily_papers.json Succeeded 11 0 0 –" in page.text
    assert "{" not in page.text and "[" not in page.text  # no raw dict or list in any column


def test_deliveries_count_by_when_the_mail_left_in_the_operators_time_zone(staff_client,
                                                                            settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # far from UTC: a day apart for half the day
    zone = zoneinfo.ZoneInfo("Pacific/Auckland")
    today = timezone.localdate()
    midnight = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    minute = datetime.timedelta(minutes=1)
    # Yesterday's edition, sent a minute into the operators' today: today's.
    DeliveryFactory(edition=today - datetime.timedelta(days=1), status="sent",
                    sent_at=midnight + minute)
    # Today's edition, sent a minute before their midnight: yesterday's.
    DeliveryFactory(edition=today, status="sent", sent_at=midnight - minute)
    DeliveryFactory(status="failed", claimed_at=midnight + minute, reason="refused")
    DeliveryFactory(status="skipped")  # decided now, when its row was written
    DeliveryFactory(status="pending")  # not gone anywhere yet
    DeliveryFactory(edition=today - datetime.timedelta(days=40), status="sent",
                    sent_at=midnight - datetime.timedelta(days=40))  # outside the window
    html = staff_client.get(reverse("admin-dashboard")).content.decode()
    page = read_page(html)
    assert "(Pacific/Auckland, the operators' time zone" in page.text
    assert "Today 30 days Sent 1 2 Skipped 1 1 Failed 1 1" in page.text
    yesterday = today - datetime.timedelta(days=1)
    chart = html[html.index('aria-label="Deliveries per day'):]
    chart = chart[:chart.index("</svg>")]
    assert f"<title>{today:%a} {today.day} {today:%b}: 1 sent, 1 skipped, 1 failed</title>" in chart
    assert (f"<title>{yesterday:%a} {yesterday.day} {yesterday:%b}: 1 sent, 0 skipped, 0 failed"
            "</title>") in chart
    # The axes: the scale on the left, the dates below (the last one today's).
    assert all(f'text-anchor="end">{mark}</text>' in chart for mark in (0, 2, 4))  # peak 3
    assert f'text-anchor="middle">{today.day} {today:%b}</text>' in chart


def test_the_dashboard_counts_votes_and_how_many_recommended_papers_were_upvoted(
        staff_client, world):
    """Of the sent digests, 4 recommended a paper; 3 of those readers voted it up, one
    down; another reader voted on a paper they were not recommended."""
    paper, now = world["paper"], timezone.now()
    sent = list(Delivery.objects.filter(status="sent").order_by("pk")[:5])
    DeliveryItem.objects.filter(delivery__in=sent[:4]).update(matched=[{"recommended": True}])
    for delivery, value in zip(sent, [1, 1, 1, -1, 1], strict=True):
        Vote.objects.create(subscriber=delivery.subscriber, paper=paper, value=value,
                            voted_at=now, recommended=delivery in sent[:4])
    page = read_page(staff_client.get(reverse("admin-dashboard")).content.decode())
    assert "Today 30 days More like this 4 4 Less like this 1 1" in page.text
    assert ("Recommended papers sent 4 Voted “More like this” by their reader 3 Share 75%"
            in page.text)


def test_the_subscriber_page_shows_what_they_told_the_model_and_their_votes(staff_client,
                                                                            world):
    reader = world["first"]
    reader.description = "How networks generalize despite overparameterization"
    reader.seed_papers = "2309.08600"
    reader.save()
    Vote.objects.create(subscriber=reader, paper=world["paper"], value=Vote.Value.LESS,
                        voted_at=timezone.now())
    page = staff_client.get(change(reader)).content.decode()
    assert "How networks generalize despite overparameterization" in page
    assert "2309.08600" in page
    assert "0 more, 1 less" in page
    assert "Less like this</td><td>2611.14021</td>" in page
    assert "Not fitted yet." in page


def test_an_operator_cannot_save_a_seed_that_is_not_an_arxiv_id(staff_client, world):
    reader = world["first"]
    data = {"interests": "diffusion", "authors": "", "min_upvotes": 0, "papers_per_email": 10,
            "frequency": "daily", "timezone": "UTC", "send_hour": 8,
            "seed_papers": "2309.08600\nnot-a-paper"}
    response = staff_client.post(change(reader), data)
    assert response.context["adminform"].form.errors["seed_papers"] == [
        "“not-a-paper” is not an arXiv id or link (such as 2508.13426 or "
        "https://arxiv.org/abs/2508.13426)."]
    reader.refresh_from_db()
    assert reader.seed_papers == ""


def test_subscribers_are_found_by_email_and_filtered(staff_client, world):
    page = staff_client.get(changelist(Subscriber), {"q": "reader42@"}).content.decode()
    assert "reader42@example.org" in page and "reader43@example.org" not in page
    bounced = staff_client.get(changelist(Subscriber), {"status__exact": "bounced",
                                                        "timezone": "Asia/Tokyo"})
    assert bounced.context["cl"].result_count == 150  # n ≡ 9 (mod 10) and ≡ 3 (mod 4)
    topic = Topic.objects.get(slug="interpretability")
    assert staff_client.get(changelist(Subscriber), {"topics__id__exact": topic.pk}).context[
        "cl"].result_count == Subscriber.objects.filter(topics=topic).count() > 0


def test_the_subscriber_page_shows_filters_deliveries_and_events(staff_client, world):
    page = staff_client.get(change(world["first"])).content.decode()
    assert "mailbox full" in page
    assert f"<td>{world['edition']:%a %-d %b %Y}</td><td>Sent</td><td>1 paper</td>" in page
    assert "sparse autoencoder" in page or "speech" in page


def test_the_subscriber_page_lists_the_latest_deliveries_first(staff_client, world):
    reader = world["first"]
    for days in range(1, 13):
        DeliveryFactory(subscriber=reader, edition=world["edition"] + datetime.timedelta(days))
    page = staff_client.get(change(reader)).content.decode()
    shown = re.findall(r"<td>(\w{3} \d+ \w{3} \d{4})</td><td>", page)
    newest = [world["edition"] + datetime.timedelta(days) for days in range(12, 2, -1)]
    assert shown == [f"{day:%a %-d %b %Y}" for day in newest]


def test_editing_interests_goes_through_the_real_parser(staff_client, world):
    reader = world["first"]
    data = {"interests": "ok\n-robotics", "authors": "", "min_upvotes": 0,
            "papers_per_email": 10, "frequency": "daily", "timezone": "UTC", "send_hour": 8}
    page = staff_client.post(change(reader), data).content.decode()
    assert "Line 2: “-robotics” only excludes" in page
    reader.refresh_from_db()
    assert reader.interests != "ok\n-robotics"


def test_resend_confirmation_mails_open_signups_and_logs_it(staff_client, world):
    now = timezone.now()
    open_ones = [SignupRequestFactory(email=f"new{n}@example.org", requested_at=now)
                 for n in range(2)]
    done = SignupRequestFactory(email="done@example.org", requested_at=now, confirmed_at=now)
    act(staff_client, SignupRequest, "resend_confirmation", open_ones + [done])
    assert sorted(m.to[0] for m in mail.outbox) == ["new0@example.org", "new1@example.org"]
    assert all(logged(r, "Resent the confirmation mail") for r in open_ones)


def test_a_test_digest_goes_to_the_operator_marked_and_unrecorded(staff_client, world):
    reader = Subscriber.objects.filter(status="active", interests="sparse autoencoder").last()
    act(staff_client, Subscriber, "send_test_digest", [reader])
    [message] = mail.outbox
    assert message.to == ["ops@example.com"]  # the operator, never the reader
    assert message.subject.startswith(f"[Test for {reader.email}] 1 paper · ")
    html = message.alternatives[0][0]
    assert "Sparse Autoencoders Find Shared Features" in visible(html)
    assert "/manage/" not in html and "/u/" not in html  # none of the reader's own links
    assert not Delivery.objects.filter(subscriber=reader, edition=timezone.localdate()).exists()
    assert logged(reader, "Sent a test digest of the ") and logged(reader, " to ops@example.com")


def test_readers_who_may_not_be_mailed_get_no_test_digest(staff_client, world):
    opted_out = list(Subscriber.objects.filter(status__in=["unsubscribed", "bounced"],
                                               interests="sparse autoencoder")[:2])
    act(staff_client, Subscriber, "send_test_digest", opted_out)
    assert {tuple(m.to) for m in mail.outbox} == {("ops@example.com",)}


def test_suppress_asks_for_a_reason_then_stops_mail_and_lifting_restores(staff_client, world):
    reader = world["first"]
    form = act(staff_client, Subscriber, "suppress", [reader])
    assert form.status_code == 200 and "Reason" in form.content.decode()
    reader.refresh_from_db()
    assert reader.status == "active"  # nothing happens before the reason is given
    act(staff_client, Subscriber, "suppress", [reader], reason="asked us by phone")
    reader.refresh_from_db()
    assert reader.status == "suppressed"
    assert logged(reader, "Suppress: asked us by phone")
    act(staff_client, Subscriber, "lift_suppression", [reader], reason="phoned again")
    reader.refresh_from_db()
    assert reader.status == "active" and logged(reader, "Lift the suppression: phoned again")
    page = staff_client.get(change(reader)).content.decode()
    for text in ["operator operator", "asked us by phone", "phoned again", "suppression lifted"]:
        assert text in page  # the reader's history, on their page


def test_export_csv_writes_the_selection(staff_client, world):
    chosen = list(Subscriber.objects.order_by("pk")[:3])
    response = act(staff_client, Subscriber, "export_csv", chosen)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["email", "status", "frequency"]
    assert sorted(row[0] for row in rows[1:]) == sorted(s.email for s in chosen)


def test_papers_are_found_by_author_and_filtered_by_source_and_code(staff_client, world):
    page = staff_client.get(changelist(Paper), {"q": "Okafor"}).content.decode()
    assert "2611.14021" in page and "2611.13877" not in page
    coded = staff_client.get(changelist(Paper), {"has_code": "yes"}).context["cl"]
    assert coded.result_count == Paper.objects.exclude(github_repo="").count() == 5
    assert staff_client.get(changelist(Paper), {"source": "arxiv"}).context[
        "cl"].result_count == 0


def test_the_paper_page_links_to_it_and_says_how_many_got_it(staff_client, world):
    page = staff_client.get(change(world["paper"])).content.decode()
    assert 'href="https://arxiv.org/abs/2611.14021"' in page
    assert "667 subscribers" in page


def test_list_columns_read_as_words_and_long_text_is_cut_with_the_whole_on_hover(staff_client,
                                                                                world):
    long_title = "A Very Long Title " * 12
    Paper.objects.filter(pk=world["paper"].pk).update(title=long_title)
    Delivery.objects.filter(status="failed").update(reason="ESP said no: " + "detail " * 40)
    papers = staff_client.get(changelist(Paper)).content.decode()
    whole = " ".join(long_title.split())
    assert f'<span class="cut" title="{whole}">{whole[:119].rstrip()}…</span>' in papers
    deliveries = read_page(staff_client.get(changelist(Delivery)).content.decode())
    assert "ESP said no: detail detail" in deliveries.text
    assert "detail " * 30 not in deliveries.text  # cut; the whole of it is the span's title
    runs = read_page(staff_client.get(changelist(IngestRun)).content.decode())
    assert "1 file: hf_daily_papers.json Succeeded" in runs.text and "{" not in runs.text
    sent = Delivery.objects.filter(status="sent").first()
    page = read_page(staff_client.get(change(sent)).content.decode())
    assert f"edition for {sent.subscriber.email} (Sent)" in page.text
    assert "#1: 2611.14021" in page.text and "sparse" in page.text and "{" not in page.text


def test_topics_show_last_weeks_matches_and_validate_their_lines(staff_client, world):
    page = staff_client.get(changelist(Topic)).content.decode()
    assert "Matches in the last 7 days" in page
    interp = Topic.objects.get(slug="interpretability")
    data = {"name": interp.name, "slug": interp.slug, "description": "", "position": 3,
            "is_active": "on", "interests": "sparse autoencoder", "categories": "cs.LG not!"}
    page = staff_client.post(change(interp), data).content.decode()
    assert "“not!” is not an arXiv category" in page
    data.update(categories="cs.LG", interests="-only")
    assert "only excludes" in staff_client.post(change(interp), data).content.decode()


def test_failed_deliveries_are_retried_through_the_sender(staff_client, world):
    failed = list(Delivery.objects.filter(status="failed")[:2])
    act(staff_client, Delivery, "retry_failed", failed)
    for delivery in failed:
        delivery.refresh_from_db()
        assert delivery.status in ("sent", "skipped")  # sent, or skipped if unsubscribed since
        assert logged(delivery, "Retried by an operator")


def test_an_ingest_run_can_be_run_again(staff_client, world, monkeypatch):
    internet = FakeInternet()
    internet.queue("huggingface.co", json_file("hf_day_page1.json"))
    monkeypatch.setattr("digest.ingest.today.build_client", lambda **options: internet.client())
    run = IngestRunFactory(source="hf", request={"date": "2026-11-19"}, status="failed",
                           error="timed out")
    act(staff_client, IngestRun, "rerun", [run])
    again = IngestRun.objects.latest("started_at")
    assert again.pk != run.pk and again.request == {"date": "2026-11-19"}
    assert again.status == "succeeded"
    assert logged(run, "Queued the same ingest again")


def test_the_admin_login_locks_out_after_repeated_failures(client, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.org", "right-pass-123")
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "boss", "password": "wrong"})
    locked = client.post(login, {"username": "boss", "password": "right-pass-123"})
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
