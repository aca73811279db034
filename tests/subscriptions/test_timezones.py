"""The time-zone picker: canonical zones grouped by region, no legacy aliases; an alias that
still arrives (a form, an import, an older record) is read as its zone, and a zone outside
the list is kept rather than silently replaced."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from subscriptions import tokens
from subscriptions.models import SignupRequest, Subscriber
from tests.subscriptions.factories import SubscriberFactory
from tests.web import signup_data

pytestmark = pytest.mark.django_db


def zone_select(html: str) -> str:
    return re.search(r'<select name="timezone".*?</select>', html, re.S).group(0)


def groups_of(select: str) -> dict[str, list[str]]:
    """{region: [zone values]} of a select's option groups."""
    return {label: re.findall(r'value="([^"]+)"', body) for label, body in
            re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)}


def test_the_picker_lists_canonical_zones_grouped_by_region(client):
    select = zone_select(client.get("/").content.decode())
    groups = groups_of(select)
    assert list(groups) == ["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                            "Australia", "Europe", "Indian", "Pacific"]
    assert select.index('value="UTC"') < select.index("<optgroup")  # UTC first, on its own
    for region, zone in [("Asia", "Asia/Kolkata"), ("Europe", "Europe/Kyiv"),
                         ("America", "America/New_York"), ("Europe", "Europe/Paris"),
                         ("America", "America/Argentina/Buenos_Aires")]:
        assert zone in groups[region], zone
    for alias in ["US/Eastern", "Asia/Calcutta", "Europe/Kiev", "GB", "Etc/GMT+5", "Etc/UTC",
                  "America/Buenos_Aires", "EST5EDT"]:
        assert f'value="{alias}"' not in select, alias
    assert '<option value="America/Argentina/Buenos_Aires">Argentina / Buenos Aires</option>' in (
        select)
    assert 400 < sum(len(zones) for zones in groups.values()) < 450


def test_the_signup_page_hands_the_browser_the_aliases_it_may_report(client):
    page = client.get("/").content.decode()
    aliases = json.loads(re.search(r'data-timezone-aliases="([^"]+)"', page).group(1)
                         .replace("&quot;", '"'))
    assert aliases["Asia/Calcutta"] == "Asia/Kolkata" and aliases["Etc/UTC"] == "UTC"
    after_error = client.post("/", signup_data("not an address")).content.decode()
    assert "data-timezone-aliases" not in after_error  # the reader's own choice stays


def test_an_alias_is_stored_as_its_zone(client):
    client.post("/", signup_data("ada@example.org", timezone="US/Eastern"))
    assert SignupRequest.objects.get().preferences["timezone"] == "America/New_York"
    page = client.post("/", signup_data("bob@example.org", timezone="Mars/Olympus"))
    assert "Select a valid choice." in page.content.decode()


def test_a_reader_with_a_legacy_zone_sees_it_as_its_zone(client):
    reader = SubscriberFactory(timezone="Asia/Calcutta")
    manage = reverse("subscriptions:manage", args=[tokens.token_make(
        subscriber=reader, purpose=tokens.MANAGE)])
    select = zone_select(client.get(manage).content.decode())
    assert '<option value="Asia/Kolkata" selected>Kolkata</option>' in select


def test_a_zone_outside_the_list_is_offered_so_that_saving_keeps_it(client):
    reader = SubscriberFactory(timezone="Etc/GMT+5")
    manage = reverse("subscriptions:manage", args=[tokens.token_make(
        subscriber=reader, purpose=tokens.MANAGE)])
    select = zone_select(client.get(manage).content.decode())
    assert groups_of(select)["Other"] == ["Etc/GMT+5"]
    assert '<option value="Etc/GMT+5" selected>' in select


def test_an_import_stores_aliases_as_their_zones(tmp_path):
    rows = tmp_path / "readers.csv"
    rows.write_text("email,timezone\nada@example.org,Asia/Calcutta\nbob@example.org,UTC\n")
    call_command("import_subscribers", str(rows), "--confirmed", stdout=StringIO())
    assert dict(Subscriber.objects.values_list("email", "timezone")) == {
        "ada@example.org": "Asia/Kolkata", "bob@example.org": "UTC"}
