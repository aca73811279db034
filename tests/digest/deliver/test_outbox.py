"""The embedded default writes each message where a person can open it."""

import email
import subprocess
import sys
from email import policy
from pathlib import Path

from django.core.mail import EmailMultiAlternatives, get_connection, send_mail

ROOT = Path(__file__).resolve().parents[3]
# pytest-django swaps EMAIL_BACKEND for locmem; these tests name the outbox backend.
OUTBOX = "digest.deliver.outbox.OutboxEmailBackend"


def test_a_message_becomes_an_eml_file_and_an_html_file(outbox_dir):
    message = EmailMultiAlternatives(
        subject="Your papers for 23 November",
        body="Plain text part",
        from_email="Paperboy <paperboy@example.org>",
        to=["Reader@Example.org"],
        headers={"List-Unsubscribe": "<https://paperboy.example.org/u/abc/>"},
        connection=get_connection(OUTBOX),
    )
    message.attach_alternative("<h1>Hello &amp; welcome</h1>", "text/html")
    assert message.send() == 1

    [eml] = list(outbox_dir.glob("*.eml"))
    [html] = list(outbox_dir.glob("*.html"))
    assert eml.name[:-4] == html.name[:-5]

    parsed = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Your papers for 23 November"
    assert parsed["To"] == "Reader@Example.org"
    assert parsed["List-Unsubscribe"] == "<https://paperboy.example.org/u/abc/>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Plain text part"
    assert parsed.get_body(("html",)).get_content().strip() == "<h1>Hello &amp; welcome</h1>"
    assert html.read_text() == "<h1>Hello &amp; welcome</h1>"


def test_a_plain_message_has_no_html_file(outbox_dir):
    send_mail("Confirm", "Click the link", None, ["a@example.org"],
              connection=get_connection(OUTBOX))
    assert len(list(outbox_dir.glob("*.eml"))) == 1
    assert list(outbox_dir.glob("*.html")) == []


def test_the_embedded_default_mails_into_var_outbox(tmp_path):
    """With no EMAIL_BACKEND set, Django's own sendtestemail lands in OUTBOX_DIR."""
    result = subprocess.run(
        [sys.executable, "manage.py", "sendtestemail", "someone@example.org"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", "OUTBOX_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [eml] = list(tmp_path.glob("*.eml"))
    parsed = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["To"] == "someone@example.org"
    assert "Test email from" in parsed["Subject"]
