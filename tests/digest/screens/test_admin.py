"""Every model an operator manages has a working list, add and change page."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse

from digest.models import IngestRun, Paper
from subscriptions.models import Topic
from tests.digest.factories import (
    DeliveryFactory,
    DeliveryItemFactory,
    IngestRunFactory,
    PaperFactory,
)
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each():
    paper = PaperFactory(arxiv_id="2611.01234", title="Sparse <b>Autoencoders</b> at Scale",
                         authors=["Ada Lovelace"], featured_on=datetime.date(2026, 11, 20))
    reader = SubscriberFactory(email="reader@example.org", interests="sparse autoencoder")
    delivery = DeliveryFactory(subscriber=reader, edition=datetime.date(2026, 11, 21))
    DeliveryItemFactory(delivery=delivery, paper=paper, rank=1, matched=["sparse"])
    run = IngestRunFactory(source=IngestRun.Source.HF, request={"date": "2026-11-20"})
    return [paper, reader, delivery, run, Topic.objects.first()]


def test_every_admin_list_and_change_page_loads_for_staff(staff_client, one_of_each):
    for obj in one_of_each:
        opts = obj._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = staff_client.get(changelist)
        assert response.status_code == 200, changelist
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        response = staff_client.get(change)
        assert response.status_code == 200, change


def test_add_pages_load_where_operators_may_add(staff_client):
    for model in (Paper, Topic):
        assert model in admin.site._registry
        opts = model._meta
        response = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert response.status_code == 200


def test_admin_search_finds_a_subscriber_by_email(staff_client, one_of_each):
    url = reverse("admin:subscriptions_subscriber_changelist")
    found = staff_client.get(url, {"q": "reader@"}).content.decode()
    assert "reader@example.org" in found
    missing = staff_client.get(url, {"q": "nobody@"}).content.decode()
    assert "reader@example.org" not in missing


def test_paper_titles_are_escaped_in_the_admin(staff_client, one_of_each):
    page = staff_client.get(reverse("admin:digest_paper_changelist")).content.decode()
    assert "Sparse &lt;b&gt;Autoencoders&lt;/b&gt; at Scale" in page
    assert "<b>Autoencoders</b>" not in page


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:subscriptions_subscriber_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_operators_cannot_add_a_subscriber_behind_their_back(staff_client):
    """Readers opt in themselves or come through an import: there is no add page."""
    response = staff_client.get(reverse("admin:subscriptions_subscriber_add"))
    assert response.status_code == 403
