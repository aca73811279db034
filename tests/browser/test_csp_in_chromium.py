"""The Content-Security-Policy as Chromium enforces it: the reader's pages, the admin and
the dashboard work (the preview's script runs, the admin's scripts and styles load) and
the console shows no error at all, CSP refusals included; no request carries a token in
its Referer."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from digest.management.commands.demo import SAMPLE
from subscriptions import tokens
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_readers_pages_and_the_admin_show_no_console_errors(site, page, console,
                                                                django_user_model):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    reader = SubscriberFactory(email="ada@example.org", interests="sparse autoencoder")
    django_user_model.objects.create_superuser("operator", "ops@example.org", "pw-12345!")

    console(site.url + "/")
    page.get_by_label("Interests").fill("sparse autoencoder")
    page.locator("#preview-summary").filter(has_text="Your filters match").wait_for()
    manage = reverse("subscriptions:manage", args=[
        tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)])
    console(site.url + manage)
    page.locator("#preview-summary").filter(has_text="Your filters match").wait_for()
    page.get_by_role("button", name="Save").click()  # a same-site post from a token page
    page.get_by_text("Saved. Your next digest follows these choices.").wait_for()
    confirm = reverse("subscriptions:confirm", args=[tokens.confirm_token_make(
        request=SignupRequestFactory(email="new@example.org"))])
    for path in ["/help/filters/", "/papers/", "/link/", confirm]:
        console(site.url + path)

    console(site.url + reverse("admin:login"))
    page.get_by_label("Username").fill("operator")
    page.get_by_label("Password").fill("pw-12345!")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Paperboy dashboard").wait_for()
    for name in ["admin:index", "admin-dashboard", "admin:subscriptions_subscriber_changelist",
                 "admin:digest_paper_changelist"]:
        console(site.url + reverse(name))
    console(site.url + reverse("admin:subscriptions_subscriber_change", args=[reader.pk]))
    page.get_by_role("button", name="Save", exact=True).wait_for()

    assert console.problems == []
