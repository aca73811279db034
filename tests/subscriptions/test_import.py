"""Importing a list of subscribers: every row held to the signup form's rules, each bad one
reported by line and skipped, a file the import cannot use refused before anything is
written."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from subscriptions import consent, emails, tasks
from subscriptions.addresses import address_hash
from subscriptions.forms import ImportedRowForm
from subscriptions.management.commands import import_subscribers as import_command
from subscriptions.models import ErasedAddress, SignupRequest, Subscriber, Topic
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory
from tests.web import signup_data

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, text: str) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


def write_rows(tmp_path, rows: list[dict]) -> Path:
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_import(path, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_subscribers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


CSV = """email,interests,topics,frequency
ada@example.org,sparse autoencoder;"language model" -robotics,interpretability,daily
not-an-email,x,,daily
bob@example.org,-robotics,,weekly
cy@example.org,,no-such-topic,daily
dee@example.org,,robotics;speech-audio,weekly
ADA@example.org,,,
evan@example.org,diffus*,,monthly
"""


def test_import_reports_bad_rows_by_line_and_mails_the_good_ones(tmp_path):
    out, err = run_import(write_csv(tmp_path, CSV))
    assert err.splitlines() == [
        "line 3: email 'not-an-email': Enter a valid email address",
        "line 4: interests '-robotics': “-robotics” only excludes; add at least one word to "
        "look for",
        "line 5: topics: no topic 'no-such-topic' (the topics: agents, computer-vision, "
        "diffusion-generative, efficient-ml, interpretability, large-language-models, "
        "multimodal, reasoning-math, reinforcement-learning, retrieval, robotics, "
        "safety-alignment, speech-audio)",
        "line 7: ADA@example.org is on line 2 already",
        "line 8: frequency 'monthly': Not daily or weekly",
    ]
    assert out.strip() == ("Added 2 subscribers (confirmation mailed; subscribed once "
                           "confirmed); 0 already there, left as they were; 5 rows skipped.")
    assert not Subscriber.objects.exists()  # nobody is mailed digests before confirming
    ada = SignupRequest.objects.get(email="ada@example.org").preferences
    assert ada["interests"] == 'sparse autoencoder\n"language model" -robotics'
    dee = SignupRequest.objects.get(email="dee@example.org").preferences
    assert (dee["frequency"], sorted(dee["topics"])) == ("weekly", ["robotics", "speech-audio"])
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "dee@example.org"]


def test_import_confirmed_marks_rows_opted_in_and_mails_nobody(tmp_path):
    out, _ = run_import(write_csv(tmp_path, CSV), "--confirmed")
    assert out.startswith("Added 2 subscribers (active);")
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert all(s.consent_at for s in Subscriber.objects.all())
    assert mail.outbox == []


def test_import_reads_every_column_the_signup_form_has(tmp_path):
    path = write_csv(tmp_path, (
        "Email,Interests,Topics,Frequency,Timezone,Send_Hour,Authors,Min_Upvotes,"
        "Papers_Per_Email\n"
        "ada@example.org,diffus*,robotics; speech-audio,Weekly,Europe/Paris,07:00,"
        "Grace Liu; Yann LeCun,5,20\n"
        "bob@example.org\n"))
    out, err = run_import(path, "--confirmed")
    assert err == "" and out.startswith("Added 2 subscribers (active);")
    ada = Subscriber.objects.get(email="ada@example.org")
    assert (ada.frequency, ada.timezone, ada.send_hour, ada.min_upvotes,
            ada.papers_per_email) == ("weekly", "Europe/Paris", 7, 5, 20)
    assert ada.author_lines == ["Grace Liu", "Yann LeCun"]
    assert sorted(t.slug for t in ada.topics.all()) == ["robotics", "speech-audio"]
    bob = Subscriber.objects.get(email="bob@example.org")  # blank cells: the form's defaults
    assert (bob.frequency, bob.timezone, bob.send_hour, bob.min_upvotes, bob.papers_per_email,
            bob.interests, bob.authors) == ("daily", "UTC", 8, 0, 10, "", "")



LEARNING_CSV = """email,description,seed_papers
ada@example.org,How networks generalize: grokking and double descent.,"2508.13426; https://arxiv.org/abs/2401.00001"
bob@example.org,,
"""


def test_import_reads_a_description_and_seed_papers(tmp_path):
    out, err = run_import(write_csv(tmp_path, LEARNING_CSV))
    assert err == "" and out.startswith("Added 2 subscribers (confirmation mailed;")
    ada = SignupRequest.objects.get(email="ada@example.org").preferences
    assert ada["description"] == "How networks generalize: grokking and double descent."
    assert ada["seed_papers"].split("\n") == ["2508.13426", "2401.00001"]


def test_confirmed_readers_get_their_description_seeds_and_recommendations(tmp_path):
    run_import(write_csv(tmp_path, LEARNING_CSV), "--confirmed")
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.description == "How networks generalize: grokking and double descent."
    assert ada.seed_ids == ["2508.13426", "2401.00001"]
    bob = Subscriber.objects.get(email="bob@example.org")
    assert (bob.description, bob.seed_ids) == ("", [])
    assert ada.recommendations and bob.recommendations  # not a column: the form's default


def test_a_seed_that_is_not_an_arxiv_paper_skips_its_row(tmp_path):
    path = write_csv(tmp_path, "email,seed_papers\n"
                               "ada@example.org,2508.13426; doi:10.1109/CVPR.2016.90\n"
                               "bob@example.org,2508.13426\n")
    out, err = run_import(path, "--confirmed")
    assert err.splitlines() == [
        "line 2: seed_papers '2508.13426; doi:10.1109/CVPR.2016.90': “doi:10.1109/CVPR.2016.90” "
        "is not an arXiv id or link (such as 2508.13426 or https://arxiv.org/abs/2508.13426)"]
    assert out.strip().endswith("1 row skipped.")
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["bob@example.org"]

@pytest.mark.parametrize(("column", "value", "reason"), [
    ("send_hour", "24", "send_hour '24': Not a whole hour from 0 to 23"),
    ("timezone", "Mars/Olympus", "timezone 'Mars/Olympus': Not a time zone name"),
    ("papers_per_email", "51", "papers_per_email '51': Ensure this value is less than or "
                               "equal to 50"),
    ("papers_per_email", "0", "papers_per_email '0': Ensure this value is greater than"),
    ("min_upvotes", "-1", "min_upvotes '-1': Ensure this value is greater than or equal to 0"),
    ("min_upvotes", "many", "min_upvotes 'many': Enter a whole number"),
    ("authors", "12345", "authors '12345': “12345” does not look like a name"),
    ("interests", '"open phrase', "interests '\"open phrase': “\"open phrase” has a quote that "
                                  "is never closed"),
])
def test_a_value_the_signup_form_refuses_is_a_skipped_row(client, tmp_path, column, value,
                                                          reason):
    """The web form and the import accept exactly the same values."""
    page = client.post("/", signup_data("web@example.org", **{column: value}))
    assert page.status_code == 200  # the form again, with the error
    rows = [{"email": "row@example.org", column: value}, {"email": "fine@example.org"}]
    out, err = run_import(write_rows(tmp_path, rows))
    [line] = err.splitlines()
    assert line.startswith(f"line 2: {reason}")
    assert list(SignupRequest.objects.values_list("email", flat=True)) == ["fine@example.org"]
    assert out.startswith("Added 1 subscriber (confirmation mailed")


@pytest.mark.parametrize(("column", "value"), [
    ("send_hour", "23"), ("send_hour", "0"), ("timezone", "America/Argentina/Buenos_Aires"),
    ("papers_per_email", "50"), ("min_upvotes", "10000"), ("frequency", "weekly"),
])
def test_a_value_the_signup_form_takes_is_imported(client, tmp_path, column, value):
    page = client.post("/", signup_data("web@example.org", **{column: value}))
    assert page.status_code == 302
    out, err = run_import(write_rows(tmp_path, [{"email": "row@example.org", column: value}]),
                          "--confirmed")
    assert err == ""
    assert str(getattr(Subscriber.objects.get(email="row@example.org"), column)) == value


def test_a_topic_the_signup_page_does_not_offer_is_refused(client, tmp_path):
    Topic.objects.filter(slug="robotics").update(is_active=False)
    _, err = run_import(write_csv(tmp_path, "email,topics\nrow@example.org,robotics\n"))
    assert err.startswith("line 2: topics: no topic 'robotics' (the topics: agents,")
    assert not Subscriber.objects.exists() and not SignupRequest.objects.exists()


def test_a_long_address_and_nul_characters_are_reported_and_the_rest_imported(client, tmp_path):
    """On PostgreSQL these used to stop the import part-way with a traceback."""
    long_address = "a" * 250 + "@example.org"
    for refused in [signup_data(long_address), signup_data("a@example.org", interests="a\x00b")]:
        assert client.post("/", refused).status_code == 200  # the web form refuses them too
    path = write_csv(tmp_path, (
        "email,interests,authors,topics,timezone\n"
        "first@example.org,diffusion,,,\n"
        f"{long_address},diffusion,,,\n"
        "nul-interests@example.org,diff\x00usion,,,\n"
        "nul@exa\x00mple.org,,,,\n"
        "nul-author@example.org,,Grace\x00Liu,,\n"
        "nul-topic@example.org,,,robo\x00tics,\n"
        "nul-zone@example.org,,,,Europe/Par\x00is\n"
        "last@example.org,diffusion,,,\n"))
    out, err = run_import(path)
    assert err.splitlines() == [
        "line 3: email 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…': Ensure this value has at "
        "most 254 characters (it has 262)",
        "line 4: interests 'diff\\x00usion': Null characters are not allowed",
        "line 5: email 'nul@exa\\x00mple.org': Enter a valid email address. An email address "
        "cannot contain control characters. Null characters are not allowed",
        "line 6: authors 'Grace\\x00Liu': Null characters are not allowed",
        "line 7: topics: no topic 'robo\\x00tics' (the topics: agents, computer-vision, "
        "diffusion-generative, efficient-ml, interpretability, large-language-models, "
        "multimodal, reasoning-math, reinforcement-learning, retrieval, robotics, "
        "safety-alignment, speech-audio)",
        "line 8: timezone 'Europe/Par\\x00is': Not a time zone name (such as Europe/Paris)",
    ]
    assert sorted(SignupRequest.objects.values_list("email", flat=True)) == [
        "first@example.org", "last@example.org"]
    assert out.startswith("Added 2 subscribers")
    assert out.strip().endswith("6 rows skipped.")


def test_an_address_already_here_is_never_changed(tmp_path):
    gone = SubscriberFactory(email="gone@example.org", status="unsubscribed",
                             interests="old line", send_hour=6)
    bounced = SubscriberFactory(email="bounced@example.org", status="bounced")
    path = write_csv(tmp_path, "email,interests,send_hour\n"
                               "GONE@example.org,new line,9\nbounced@example.org,,\n"
                               "new@example.org,,\n")
    out, err = run_import(path, "--confirmed")
    assert err == ""
    assert out.strip() == ("Added 1 subscriber (active); 2 already there, left as they were; "
                           "0 rows skipped.")
    gone.refresh_from_db()
    bounced.refresh_from_db()
    assert (gone.status, gone.interests, gone.send_hour, gone.consent_at) == (
        "unsubscribed", "old line", 6, None)
    assert bounced.status == "bounced"


def test_line_numbers_count_lines_of_the_file(tmp_path):
    """A quoted cell may hold a line break, and blank lines are skipped, not rows."""
    path = write_csv(tmp_path, 'email,interests\n\nada@example.org,"diffusion;\nspeech"\n'
                               "bad,x\n,\n")
    _, err = run_import(path, "--confirmed")
    assert err.splitlines() == ["line 5: email 'bad': Enter a valid email address"]
    assert Subscriber.objects.get().interest_lines == ["diffusion", "speech"]


def test_a_row_with_more_cells_than_the_header_is_skipped(tmp_path):
    path = write_csv(tmp_path, "email,interests\na@example.org,x,extra\nb@example.org,y,,\n")
    _, err = run_import(path, "--confirmed")
    assert err.splitlines() == ["line 2: 3 cells, but the header names 2 columns"]
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["b@example.org"]


def test_a_missing_email_column_is_named_with_the_columns_found(tmp_path):
    path = write_csv(tmp_path, "name,interests\nAda,diffusion\n")
    with pytest.raises(CommandError) as refused:
        run_import(path)
    assert str(refused.value) == (
        f"{path} has no email column (its columns: 'name', 'interests'); the columns it may "
        f"have: email (required), interests, topics, frequency, timezone, send_hour, authors, "
        f"min_upvotes, papers_per_email, description, seed_papers")


def test_an_unknown_column_refuses_the_file_before_anything_is_written(tmp_path):
    """A misspelt column would otherwise lose its data without a word."""
    path = write_csv(tmp_path, "email,intrests,Topics,city\nada@example.org,diffusion,,Paris\n")
    with pytest.raises(CommandError) as refused:
        run_import(path)
    assert str(refused.value) == (
        f"{path} has columns this import does not know: 'intrests', 'city'; the columns it may "
        f"have: email (required), interests, topics, frequency, timezone, send_hour, authors, "
        f"min_upvotes, papers_per_email, description, seed_papers. Rename or remove them; "
        f"nothing was imported.")
    assert not Subscriber.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    ("", "is empty: it needs a header row"),
    ("\n\n", "is empty: it needs a header row"),
    ("email,interests\n", "has a header row but no subscribers"),
    ("email,email\na@example.org,b@example.org\n", "has the column email more than once"),
    ("email,\na@example.org,\n", "does not know: ''"),
])
def test_import_refuses_a_file_it_cannot_use(tmp_path, content, message):
    path = tmp_path / "missing.csv" if content is None else write_csv(tmp_path, content)
    with pytest.raises(CommandError, match=message):
        run_import(path)
    assert Subscriber.objects.count() == 0


def test_import_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,authors\nzoe@example.org,Zoé\n".encode("latin-1"))
    with pytest.raises(CommandError, match="is not a UTF-8 CSV file"):
        run_import(path)
    assert Subscriber.objects.count() == 0


# --- In bulk ---------------------------------------------------------------------------------


def test_one_form_checks_every_row_as_a_new_form_would():
    """The import checks all its rows with one form that remembers each field's outcome by
    value; each row must come out as a form of its own would have it, messages included."""
    rows = [
        {"email": "ada@example.org", "interests": "diffusion", "send_hour": "8"},
        {"email": "not-an-email", "interests": "-robotics", "frequency": "monthly"},
        {"email": "bob@example.org", "interests": "diffusion", "send_hour": "24"},
        {"email": "ada@example.org", "authors": "12345", "timezone": "Mars/Olympus"},
        {"email": "cy@example.org", "authors": "Grace Liu\nYann LeCun", "min_upvotes": "-1"},
        {"email": "dee@exa\x00mple.org", "papers_per_email": "51", "seed_papers": "nope"},
        {"email": "evan@example.org", "frequency": "weekly", "seed_papers": "2508.13426"},
        {"email": "bob@example.org", "interests": "diffusion", "send_hour": "24"},
    ]
    defaults = {"frequency": "daily", "send_hour": "8", "timezone": "UTC",
                "papers_per_email": "10", "min_upvotes": "0"}
    shared, valid = ImportedRowForm(data={}), []
    for data in [{**defaults, **row} for row in rows]:
        fresh, reused = ImportedRowForm(data=data), shared.rebind(data)
        assert reused.is_valid() == fresh.is_valid()
        assert reused.errors == fresh.errors
        if fresh.is_valid():
            assert reused.cleaned_data == fresh.cleaned_data
            valid.append(data["email"])
    assert valid == ["ada@example.org", "evan@example.org"]


def test_rows_are_written_in_batches_with_their_topics_and_history(tmp_path, monkeypatch):
    monkeypatch.setattr(import_command, "IMPORT_BATCH", 3)
    SubscriberFactory(email="old@example.org", interests="old line")
    rows = [{"email": f"r{n}@example.org", "interests": f"line {n}",
             "topics": "robotics;speech-audio" if n % 2 else ""} for n in range(7)]
    rows.insert(4, {"email": "OLD@example.org", "interests": "new line", "topics": ""})
    out, err = run_import(write_rows(tmp_path, rows), "--confirmed")
    assert err == ""
    assert out.strip() == ("Added 7 subscribers (active); 1 already there, left as they were; "
                           "0 rows skipped.")
    for n in range(7):
        reader = Subscriber.objects.get(email=f"r{n}@example.org")
        assert reader.interest_lines == [f"line {n}"]
        assert sorted(t.slug for t in reader.topics.all()) == (
            ["robotics", "speech-audio"] if n % 2 else [])
        [entry] = reader.history.all()
        assert (entry.actor, entry.action, entry.new_status) == ("import", "imported", "active")
    assert Subscriber.objects.get(email="old@example.org").interests == "old line"


def test_confirmation_mails_are_queued_a_chunk_to_a_task(tmp_path, monkeypatch):
    monkeypatch.setattr(consent, "MAILS_PER_TASK", 2)
    chunks = []
    monkeypatch.setattr(tasks.send_confirmations, "delay_on_commit",
                        lambda ids: chunks.append(ids) or tasks.send_confirmations(ids))
    rows = [{"email": f"r{n}@example.org"} for n in range(5)]
    out, _ = run_import(write_rows(tmp_path, rows))
    assert out.startswith("Added 5 subscribers (confirmation mailed")
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    assert sorted(m.to[0] for m in mail.outbox) == [row["email"] for row in rows]


def test_a_mail_that_fails_for_a_moment_is_retried_alone(monkeypatch):
    requests = [SignupRequestFactory(email=f"r{n}@example.org") for n in range(3)]
    send, failed = emails.send_confirmation, []

    def flaky(request):
        if request.email == "r1@example.org" and not failed:
            failed.append(request.email)
            raise ConnectionError("the ESP hung up")
        send(request)

    monkeypatch.setattr(emails, "send_confirmation", flaky)
    tasks.send_confirmations([request.pk for request in requests])
    assert failed == ["r1@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.org", "r1@example.org",
                                                    "r2@example.org"]


def test_an_erased_address_is_refused_by_line(tmp_path):
    ErasedAddress.objects.create(address_hash=address_hash("gone@example.org"),
                                 erased_at=timezone.now())
    path = write_csv(tmp_path, "email\nnew@example.org\nGone@example.org\n")
    out, err = run_import(path, "--confirmed")
    assert err.splitlines() == ["line 3: Gone@example.org had their data erased at their "
                                "request; only they can subscribe again"]
    assert out.strip() == ("Added 1 subscriber (active); 0 already there, left as they were; "
                           "1 row skipped.")
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["new@example.org"]


def test_with_v2_the_progress_shows_on_stderr(tmp_path, capsys):
    run_import(write_csv(tmp_path, "email\nada@example.org\nbob@example.org\n"))
    assert capsys.readouterr().err == ""  # not a terminal
    run_import(write_csv(tmp_path, "email\ncy@example.org\n"), "-v", "2")
    bars = capsys.readouterr().err
    assert "checked: 1row" in bars and "written: 100%" in bars
