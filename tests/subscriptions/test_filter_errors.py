"""One parser, one message: a bad interest line reads the same in the signup form, the live
preview, the admin's subscriber and topic forms, import_subscribers and `manage.py match`."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from subscriptions.filters import FilterError, validate_interest_lines
from subscriptions.models import Subscriber, Topic
from tests.subscriptions.factories import SubscriberFactory
from tests.web import signup_data

pytestmark = pytest.mark.django_db

BAD = [
    "-robotics",
    'diffusion OR "flow matching',
    "diffusion OR -robotics",
    "OR video",
    "sparse autoencoder\ndiffusion OR OR video",  # several lines: the message names line 2
]


def message_for(text: str) -> str:
    with pytest.raises(FilterError) as raised:
        validate_interest_lines(text)
    return str(raised.value)


def admin_change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.mark.parametrize("text", BAD)
def test_the_signup_form_shows_the_parsers_message(client, text):
    response = client.post("/", signup_data("ada@example.org", interests=text))
    assert response.context["form"].errors["interests"] == [message_for(text)]
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("text", BAD)
def test_the_live_preview_shows_the_parsers_message(client, text):
    response = client.get("/preview/", {"interests": text})
    assert response.status_code == 400
    assert response.json() == {"error": message_for(text)}


@pytest.mark.parametrize("text", BAD)
def test_the_admin_forms_show_the_parsers_message(staff_client, text):
    reader = SubscriberFactory(email="r@example.org", interests="diffusion")
    data = {"email": reader.email, "status": "active", "status_reason": "", "interests": text,
            "authors": "", "min_upvotes": 0, "papers_per_email": 10, "frequency": "daily",
            "timezone": "UTC", "send_hour": 8}
    response = staff_client.post(admin_change(reader), data)
    assert response.context["adminform"].form.errors["interests"] == [message_for(text)]
    reader.refresh_from_db()
    assert reader.interests == "diffusion"

    topic = Topic.objects.get(slug="interpretability")
    data = {"name": topic.name, "slug": topic.slug, "description": "", "position": 3,
            "is_active": "on", "interests": text, "categories": "cs.LG"}
    response = staff_client.post(admin_change(topic), data)
    assert response.context["adminform"].form.errors["interests"] == [message_for(text)]
    assert Topic.objects.get(pk=topic.pk).interests == topic.interests


@pytest.mark.parametrize("text", BAD)
def test_import_subscribers_shows_the_parsers_message(tmp_path, text):
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([["email", "interests"],
                                    ["ada@example.org", ";".join(text.splitlines())]])
    err = StringIO()
    call_command("import_subscribers", str(path), stdout=StringIO(), stderr=err)
    # The import names the cell and strips the sentence's final full stop, as for every column.
    cell = ";".join(text.splitlines())
    assert err.getvalue().splitlines() == [
        f"line 2: interests {cell!r}: {message_for(text).rstrip('.')}"]
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("line", [text for text in BAD if "\n" not in text])
def test_manage_py_match_shows_the_parsers_message(line):
    with pytest.raises(CommandError) as raised:
        call_command("match", line, stdout=StringIO())
    assert str(raised.value) == message_for(line)
    assert raised.value.returncode == 2


def test_the_admin_stores_interest_lines_as_the_signup_form_does(staff_client):
    topic = Topic.objects.get(slug="interpretability")
    data = {"name": topic.name, "slug": topic.slug, "description": "", "position": 3,
            "is_active": "on", "interests": "  sparse   autoencoder\n\n probing OR  circuits ",
            "categories": "cs.LG"}
    staff_client.post(admin_change(topic), data)
    assert Topic.objects.get(pk=topic.pk).interests == "sparse autoencoder\nprobing OR circuits"
