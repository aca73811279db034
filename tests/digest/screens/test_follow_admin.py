"""Operators see who follows which paper and what changed on followed papers, read-only."""

import pytest
from django.urls import reverse

from digest.models import FollowUpdate
from tests.digest.factories import DeliveryFactory, FollowFactory, PaperEventFactory, PaperFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed():
    paper = PaperFactory(arxiv_id="2611.20001", title="Tiny <b>Recursive</b> Reasoners")
    ada = SubscriberFactory(email="ada@example.org")
    follow = FollowFactory(subscriber=ada, paper=paper)
    FollowFactory(subscriber=SubscriberFactory(email="bob@example.org"), paper=paper)
    event = PaperEventFactory(paper=paper, value="https://github.com/example/trr")
    FollowUpdate.objects.create(subscriber=ada, event=event,
                                delivery=DeliveryFactory(subscriber=ada))
    return follow, event


def test_the_lists_show_follows_and_events(staff_client, followed):
    follows = staff_client.get(reverse("admin:digest_follow_changelist")).content.decode()
    assert "ada@example.org" in follows and "bob@example.org" in follows
    assert "Tiny &lt;b&gt;Recursive&lt;/b&gt; Reasoners" in follows
    events = staff_client.get(reverse("admin:digest_paperevent_changelist")).content.decode()
    assert "Code released" in events and "https://github.com/example/trr" in events
    assert '<td class="field-readers_told">1</td>' in events
    found = staff_client.get(reverse("admin:digest_follow_changelist"),
                             {"q": "bob@"}).content.decode()
    assert "bob@example.org" in found and "ada@example.org" not in found


def test_operators_cannot_add_change_or_delete_them(staff_client, followed):
    follow, event = followed
    for obj in followed:
        name = obj._meta.model_name
        page = staff_client.get(reverse(f"admin:digest_{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert staff_client.get(reverse(f"admin:digest_{name}_add")).status_code == 403
        staff_client.post(reverse(f"admin:digest_{name}_delete", args=[obj.pk]), {"post": "yes"})
        assert type(obj).objects.filter(pk=obj.pk).exists()
