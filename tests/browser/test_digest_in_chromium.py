"""A rendered digest as mail clients show it: Chromium at phone and desktop width, light and
dark, with screenshots in var/screenshots/."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.delivery_fixtures import EDITION

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_digest_reads_well_on_a_phone_and_a_desktop(readers, settings, tmp_path, page, shoot):
    settings.EMAIL_BACKEND = "digest.deliver.outbox.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    [html] = [p for p in Path(tmp_path).glob("*.html") if "ada@example.org" in p.name]
    page.goto(html.as_uri())
    shoot("digest")
    title = page.get_by_role("link", name="Sparse Autoencoders Find Shared Features Across "
                                           "Language Model Scales")
    assert title.is_visible()
    assert page.locator("mark", has_text="autoencoders").first.is_visible()
    # Nothing wider than a phone: no sideways scrolling at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 24, 28)"  # the dark palette, not white
