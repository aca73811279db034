"""The papers page and the archive: the latest day listed, titles escaped."""

from io import StringIO

import pytest
from django.core.management import call_command

from digest.models import Paper

pytestmark = pytest.mark.django_db


def test_the_papers_page_lists_the_latest_day_with_titles_escaped(client):
    call_command("demo", "--offline", stdout=StringIO())
    Paper.objects.filter(arxiv_id="2611.14788").update(title="<script>alert(1)</script>")
    page = client.get("/papers/").content.decode()
    assert "Papers featured on Friday 20 November 2026" in page
    assert "Sparse Autoencoders Find Shared Features Across Language Model Scales" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert client.get("/archive/2026-11-21/").content.decode().count('class="paper"') == 0
    assert client.get("/archive/not-a-date/").status_code == 404
