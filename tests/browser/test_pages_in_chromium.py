"""The site's pages and the operators' screens as Chromium lays them out: form fields that
line up at phone (390 px) and desktop (1280 px) width, measured from their boxes; pages no
wider than the screen; admin lists whose columns stay inside the page. The screenshots of the
signup page, the archive and the dashboard are the README's, in docs/screenshots/."""

import datetime
import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from digest.management.commands.demo import SAMPLE
from digest.models import Delivery, IngestRun, Paper, Vote
from subscriptions import tokens
from subscriptions.models import MailEvent, Subscriber
from tests.browser.conftest import SHOTS
from tests.digest.factories import PaperFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE, DESKTOP = 390, 1280
ARXIV_LISTING = Path(__file__).resolve().parents[1] / "data" / "arxiv_cs_lg_cl.xml"

# Every visible form control in a .field, with its label and the paired row it sits in.
BOXES = """() => [...document.querySelectorAll(
    "form .field > input:not([type=checkbox]):not([type=radio]), form .field > select, "
    + "form .field > textarea")].filter((c) => c.offsetParent !== null).map((control) => {
  const box = control.getBoundingClientRect();
  const label = document.querySelector(`label[for="${control.id}"]`).getBoundingClientRect();
  const row = control.closest(".inline");
  return {name: control.name, left: box.left, right: box.right, top: box.top,
          bottom: box.bottom, height: box.height, labelLeft: label.left,
          labelBottom: label.bottom,
          row: row ? [...document.querySelectorAll(".inline")].indexOf(row) : null};
})"""


def misaligned(boxes: list[dict], *, stacked: bool) -> list[str]:
    """What does not line up: every control starts at the form's left edge and ends at its
    right one, or, in a row of two, the first starts at the left, the last ends at the right
    and the two share their top and height; each label sits over its control's left edge."""
    left = min(box["left"] for box in boxes)
    right = max(box["right"] for box in boxes)
    problems = []

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 1

    rows: dict[int, list[dict]] = {}
    for box in boxes:
        if not near(box["labelLeft"], box["left"]):
            problems.append(f"{box['name']}: its label starts at {box['labelLeft']}, "
                            f"the control at {box['left']}")
        if not 0 <= box["top"] - box["labelBottom"] <= 12:
            problems.append(f"{box['name']}: its label is not just above it")
        if box["row"] is None or stacked:
            if not (near(box["left"], left) and near(box["right"], right)):
                problems.append(f"{box['name']}: {box['left']}-{box['right']}, "
                                f"not the form's {left}-{right}")
        else:
            rows.setdefault(box["row"], []).append(box)
    for pair in rows.values():
        if not (near(pair[0]["left"], left) and near(pair[-1]["right"], right)):
            problems.append(f"{[b['name'] for b in pair]} do not span the form's width")
        if len({round(b["top"]) for b in pair}) > 1 or len({round(b["height"]) for b in pair}) > 1:
            problems.append(f"{[b['name'] for b in pair]} are not level: "
                            f"{[(b['top'], b['height']) for b in pair]}")
    return problems


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def docs_shot(page, name: str) -> None:
    """The README's screenshot: desktop width, the whole page."""
    DOCS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=DOCS / name, full_page=True)


def test_the_signup_form_lines_up_on_a_phone_and_a_desktop_and_guesses_the_zone(site, browser):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())  # papers for the preview
    # A browser that reports India's zone by its old name, as some do.
    context = browser.new_context(viewport={"width": PHONE, "height": 900},
                                  timezone_id="Asia/Calcutta")
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.get_by_label("Time zone").input_value() == "Asia/Kolkata"
    page.get_by_label("Interests").fill('sparse autoencoder\n"language model" -robotics')
    page.locator("#preview-summary").filter(has_text="Your filters match").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, stacked in ((PHONE, True), (DESKTOP, False)):
        page.set_viewport_size({"width": width, "height": 900})
        boxes = page.evaluate(BOXES)
        assert {box["name"] for box in boxes} >= {"email", "interests", "authors", "send_hour",
                                                  "timezone", "papers_per_email",
                                                  "min_upvotes"}
        assert misaligned(boxes, stacked=stacked) == [], width
        assert page_width(page) <= width
        page.screenshot(path=SHOTS / f"signup-{width}.png", full_page=True)
    docs_shot(page, "signup.png")
    context.close()


def test_the_reader_pages_line_up_on_a_phone(site, page):
    reader = SubscriberFactory(email="ada@example.org", interests="sparse autoencoder",
                               timezone="Europe/Paris")
    manage = reverse("subscriptions:manage", args=[tokens.token_make(
        subscriber=reader, purpose=tokens.MANAGE)])
    unsubscribe = reverse("subscriptions:unsubscribe", args=[tokens.token_make(
        subscriber=reader, purpose=tokens.UNSUBSCRIBE)])
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(site.url + manage)
    assert misaligned(page.evaluate(BOXES), stacked=True) == []
    assert page_width(page) <= PHONE
    page.screenshot(path=SHOTS / "manage-390.png", full_page=True)

    page.goto(site.url + unsubscribe)
    for name in ["Unsubscribe", "Pause for one week", "Pause for two weeks",
                 "Pause for a month"]:  # beside each other, wrapping on a phone
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE, name
    assert page_width(page) <= PHONE
    page.screenshot(path=SHOTS / "unsubscribe-390.png", full_page=True)
    page.get_by_role("button", name="Pause for two weeks").click()
    page.get_by_role("heading", name="Paused until").wait_for()
    reader.refresh_from_db()
    assert reader.status == "active" and reader.paused_until is not None


@pytest.fixture
def archive():
    """Two months of listings: Hugging Face's papers on weekdays, arXiv's beside them, and
    the sample day of the demo on top."""
    rng = random.Random(17)
    call_command("ingest", "--file", str(SAMPLE), "--file", str(ARXIV_LISTING),
                 stdout=StringIO())
    last = datetime.date(2026, 11, 19)
    papers, number = [], 0
    for back in range(35):
        day = last - datetime.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for kind in ["hf"] * rng.randint(8, 20) + ["arxiv"] * rng.randint(20, 60):
            number += 1
            papers.append(PaperFactory.build(
                arxiv_id=f"{day:%y%m}.{number:05d}", title=f"Paper {number}",
                categories=["cs.LG"], featured_on=day if kind == "hf" else None,
                announced_on=day if kind == "arxiv" else None,
                upvotes=rng.randint(0, 200) if kind == "hf" else 0))
    Paper.objects.bulk_create(papers)


def test_the_archive_moves_between_days_and_fits_a_phone(site, page, console, archive):
    page.set_viewport_size({"width": PHONE, "height": 900})
    console(site.url + "/archive/")
    assert page.get_by_role("heading", name="November 2026").is_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=SHOTS / "archive-390.png", full_page=True)
    docs_shot(page, "archive.png")

    page.set_viewport_size({"width": PHONE, "height": 900})
    page.get_by_role("link", name="Fri 20 Nov").click()
    page.get_by_role("heading", name="Papers of Friday 20 November 2026").wait_for()
    assert page_width(page) <= PHONE
    page.screenshot(path=SHOTS / "archive-day-390.png", full_page=True)
    page.get_by_role("link", name="Scaling Laws for Sparse Autoencoders").click()  # arXiv's
    page.get_by_role("heading", name="Scaling Laws for Sparse Autoencoders").wait_for()
    assert page.get_by_text("arXiv:2611.10001").is_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=SHOTS / "paper-390.png", full_page=True)
    page.go_back()
    page.get_by_role("link", name="← Thu 19 Nov 2026").first.click()
    page.get_by_role("heading", name="Papers of Thursday 19 November 2026").wait_for()
    assert page.get_by_text("Paper ", exact=False).first.is_visible()
    icon = page.request.get(site.url + "/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"
    console(site.url + "/papers/2611.14021/")
    assert console.problems == []


def dated(model, rows: dict, field: str) -> None:
    """Give rows a time their model writes itself on creation: {time: [pk, ...]}."""
    for when, pks in rows.items():
        model.objects.filter(pk__in=pks).update(**{field: when})


@pytest.fixture
def operations(django_user_model):
    """A month of running: readers signing up, digests sent, skipped and failed at their
    hour, bounces, daily ingest runs, votes."""
    rng = random.Random(7)
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    now = timezone.now()
    readers = Subscriber.objects.bulk_create([SubscriberFactory.build(
        email=f"reader{n}@example.org") for n in range(300)])
    dated(Subscriber, {now - datetime.timedelta(days=n % 45, hours=n % 7): [reader.pk]
                       for n, reader in enumerate(readers)}, "created_at")
    rows, built = [], {}
    for back in range(30):
        day = now - datetime.timedelta(days=back, hours=rng.randint(0, 3))
        for reader in rng.sample(readers, rng.randint(180, 260)):
            status = rng.choices(["sent", "skipped", "failed"], [88, 10, 2])[0]
            rows.append(Delivery(subscriber=reader, edition=day.date(), status=status,
                                 sent_at=day if status == "sent" else None,
                                 claimed_at=day if status != "skipped" else None,
                                 reason={"failed": "ESP refused the address",
                                         "skipped": "no papers matched"}.get(status, "")))
    for delivery in Delivery.objects.bulk_create(rows):
        built.setdefault(delivery.sent_at or delivery.claimed_at
                         or now - datetime.timedelta(days=(now.date() - delivery.edition).days),
                         []).append(delivery.pk)
    dated(Delivery, built, "created_at")
    paper = Paper.objects.first()
    Vote.objects.bulk_create([Vote(subscriber=reader, paper=paper, value=rng.choice([1, 1, -1]),
                                   voted_at=now - datetime.timedelta(days=rng.randint(0, 29)))
                              for reader in readers[:120]])
    events = MailEvent.objects.bulk_create([
        MailEvent(event_id=f"pm:{n}", kind=rng.choice(["hard_bounce", "soft_bounce",
                                                       "soft_bounce", "complaint"]),
                  recipient=readers[n].email) for n in range(40)])
    dated(MailEvent, {now - datetime.timedelta(days=n % 30): [event.pk]
                      for n, event in enumerate(events)}, "received_at")
    runs = {}
    for back in range(1, 30):
        when = now - datetime.timedelta(days=back)
        for source, created in (("hf", rng.randint(8, 25)), ("arxiv", rng.randint(40, 90))):
            run = IngestRun.objects.create(source=source, status="succeeded", created=created,
                                           request={"date": f"{when.date()}"} if source == "hf"
                                           else {"categories": ["cs.LG", "cs.CL"],
                                                 "keep": ["new", "cross"]})
            runs.setdefault(when, []).append(run.pk)
    dated(IngestRun, runs, "started_at")
    IngestRun.objects.create(source="arxiv", status="failed", request={
        "categories": ["cs.LG", "cs.CL"], "keep": ["new", "cross"]},
        error="SourceUnavailable: rss.arxiv.org answered 503 four times over 45 seconds")
    django_user_model.objects.create_superuser("operator", "ops@example.org", "pw-12345!")


def test_the_dashboard_and_the_admin_lists_fit_the_page(site, page, console, operations):
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    console(site.url + reverse("admin:login"))
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("pw-12345!")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Paperboy dashboard").wait_for()
    console(site.url + reverse("admin-dashboard"))
    assert page.locator("svg.chart").count() == 5
    assert page.locator("svg.chart").first.bounding_box()["width"] > 250
    assert page_width(page) <= DESKTOP
    docs_shot(page, "dashboard.png")
    for model in ("subscriptions_subscriber", "subscriptions_mailevent", "digest_paper",
                  "digest_delivery", "digest_ingestrun", "subscriptions_topic"):
        console(site.url + reverse(f"admin:{model}_changelist"))
        overflow = page.evaluate("(() => { const r = document.querySelector("
                                 "'#changelist-form .results'); return r.scrollWidth - "
                                 "r.clientWidth; })()")
        assert overflow <= 0, model
    page.screenshot(path=SHOTS / "admin-ingest-runs-1280.png", full_page=True)
    assert console.problems == []
