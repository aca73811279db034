"""What every answer tells the browser: pages behind a signed link are never cached nor
leak their address through Referer, and every page has a Content-Security-Policy that
lets through only the site's own scripts and styles (inline ones by nonce)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from digest.deliver.render import view_token
from digest.models import Delivery
from subscriptions import tokens
from tests.delivery_fixtures import EDITION
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory
from tests.web import tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return SubscriberFactory(email="ada@example.org", interests="sparse autoencoder")


def token_urls(reader) -> dict[str, str]:
    call_command("ingest", "--file", "digest/sample_data/hf_daily_papers.json",
                 stdout=StringIO())
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    delivery = Delivery.objects.get(subscriber=reader, status="sent")
    return {
        "confirm": reverse("subscriptions:confirm", args=[tokens.confirm_token_make(
            request=SignupRequestFactory(email="new@example.org"))]),
        "manage": reverse("subscriptions:manage", args=[
            tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)]),
        "unsubscribe": reverse("subscriptions:unsubscribe", args=[
            tokens.token_make(subscriber=reader, purpose=tokens.UNSUBSCRIBE)]),
        "digest": reverse("digest-view", args=[view_token(delivery)]),
    }


def private(response) -> bool:
    """Never stored; a Referer from it is at most the site's origin, never the token."""
    return ("no-store" in response.get("Cache-Control", "")
            and response.get("Referrer-Policy") == "strict-origin")


def test_pages_behind_a_signed_link_are_never_stored_nor_sent_in_a_referer(client, reader):
    urls = token_urls(reader)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert private(response), (name, dict(response.headers))
        assert private(client.get(tamper(url.rstrip("/")) + "/")), name  # the refusal too
    saved = client.post(urls["manage"], {"action": "2w"})
    assert saved.status_code == 302 and private(saved)  # its Location holds the token
    assert private(client.post(urls["confirm"]))
    assert private(client.post(urls["unsubscribe"]))


def test_ordinary_pages_keep_the_sites_referrer_policy(client):
    response = client.get("/papers/")
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Referrer-Policy"] == "same-origin"


CSP_PAGES = ["/", "/link/", "/help/filters/", "/papers/", "/check-your-inbox/",
             "/admin/login/"]


@pytest.mark.parametrize("path", CSP_PAGES)
def test_every_page_has_a_policy_and_its_inline_code_carries_the_nonce(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    page = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", policy)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", page):
        if "src=" not in tag:
            assert nonce and f'nonce="{nonce.group(1)}"' in tag, tag
    assert not re.search(r"<[^>]+\s(?:style|on[a-z]+)=", page), "inline attribute"


def test_admin_pages_have_the_policy_too(staff_client):
    for url in [reverse("admin:index"), reverse("admin-dashboard"),
                reverse("admin:subscriptions_subscriber_changelist")]:
        response = staff_client.get(url)
        assert response.status_code == 200
        assert "default-src 'none'" in response["Content-Security-Policy"], url


def test_the_digest_in_the_browser_keeps_its_inline_styles_and_runs_no_script(client, reader):
    response = client.get(token_urls(reader)["digest"])
    policy = response["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy
    assert "script-src 'none'" in policy
