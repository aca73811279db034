""""Follow this paper" and "Unfollow" in a real browser: the follow page's script (allowed by
its CSP nonce) records the click at once, Unfollow takes it back; the manage page lists the
papers followed and its Unfollow buttons post with the page's CSRF token; no console error."""

import pytest

from digest.models import Follow
from subscriptions import tokens
from tests.digest.factories import FollowFactory, PaperFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_unfollowing_from_the_manage_page(site, page, console, shoot):
    ada = SubscriberFactory(email="ada@example.org", interests="reasoning")
    for arxiv_id, title in [("2611.20001", "Tiny Recursive Reasoners"),
                            ("2611.20002", "Open Weights for Speech Recognition")]:
        FollowFactory(subscriber=ada, paper=PaperFactory(arxiv_id=arxiv_id, title=title))
    manage = tokens.link(subscriber=ada, purpose=tokens.MANAGE)

    console(manage)
    followed = page.locator("ul.followed li")
    assert followed.count() == 2
    assert page.get_by_label("Updates on papers I follow").is_checked()
    shoot("manage-follows")
    page.get_by_role("button", name="Unfollow Tiny Recursive Reasoners").click()
    page.get_by_text("You no longer follow “Tiny Recursive Reasoners”.").wait_for()
    assert followed.count() == 1
    assert "Open Weights for Speech Recognition" in followed.first.inner_text()
    shoot("manage-unfollowed")
    assert list(Follow.objects.values_list("paper__arxiv_id", flat=True)) == ["2611.20002"]
    assert page.evaluate("window.__refused") == []
    assert console.problems == []
