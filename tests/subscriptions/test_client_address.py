"""The visitor's address behind a TLS proxy: only what the trusted proxies appended to
X-Forwarded-For counts, for the signup limits, the consent record and the admin lockout."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from subscriptions.models import SignupRequest, Subscriber
from subscriptions.visitors import client_ip
from tests.web import last_mail_to, links_in, signup_data

PROXY = "127.0.0.1"  # the TLS proxy, as gunicorn sees it


def via_proxy(client_wrote: str | None, address: str) -> dict:
    """The request as it reaches gunicorn from a proxy that appends the address it saw
    (nginx's $proxy_add_x_forwarded_for): whatever the client wrote, then its address."""
    header = f"{client_wrote}, {address}" if client_wrote is not None else address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": header}


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def seen(meta: dict) -> str | None:
    return client_ip(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(("meta", "address"), [
    ({"REMOTE_ADDR": "203.0.113.9"}, "203.0.113.9"),
    ({"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "203.0.113.9"),
    ({"REMOTE_ADDR": "2001:db8::7"}, "2001:db8::7"),
    ({"REMOTE_ADDR": ""}, None),
    ({"REMOTE_ADDR": "not-an-ip"}, None),
])
def test_without_a_proxy_the_address_is_the_connections(meta, address):
    assert seen(meta) == address


@pytest.mark.parametrize(("client_wrote", "appended", "address"), [
    (None, "198.51.100.7", "198.51.100.7"),
    ("6.6.6.6", "198.51.100.7", "198.51.100.7"),
    ("6.6.6.6, 5.5.5.5, 4.4.4.4", "198.51.100.7", "198.51.100.7"),
    ("not-an-ip", "198.51.100.7", "198.51.100.7"),
    ('1.2.3.4, "', "198.51.100.7", "198.51.100.7"),  # a quote must not swallow the entry
    ("for=1.2.3.4", "198.51.100.7", "198.51.100.7"),
    (", , ,", "2001:db8::7", "2001:db8::7"),
    ("1.2.3.4", "  198.51.100.7  ", "198.51.100.7"),
    ("1.2.3.4", "[2001:db8::7]:443", "2001:db8::7"),
    ("1.2.3.4", "not-an-ip", None),  # a proxy that appends nothing valid: unknown
    ("1.2.3.4", "0.0.0.0", None),
])
def test_behind_one_proxy_only_the_appended_address_counts(behind_proxy, client_wrote,
                                                            appended, address):
    assert seen(via_proxy(client_wrote, appended)) == address


def test_behind_one_proxy_a_request_without_the_header_has_no_address(behind_proxy):
    assert seen({"REMOTE_ADDR": PROXY}) is None
    assert seen({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ""}) is None


def test_behind_two_proxies_the_second_entry_from_the_right_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    chain = "6.6.6.6, 198.51.100.7, 10.0.0.2"  # client's, the address the edge saw, the edge
    assert seen({"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": chain}) == "198.51.100.7"
    assert seen({"REMOTE_ADDR": "10.0.0.3", "HTTP_X_FORWARDED_FOR": "10.0.0.2"}) is None


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_pass_the_signup_limit(client, behind_proxy):
    answers = [client.post("/", signup_data(f"r{n}@example.org"),
                           **via_proxy(f"192.0.2.{n}", "198.51.100.7")).status_code
               for n in range(25)]
    assert answers == [302] * 20 + [429] * 5
    assert SignupRequest.objects.count() == 20
    neighbour = client.post("/", signup_data("n@example.org"), **via_proxy(None, "198.51.100.8"))
    assert neighbour.status_code == 302


@pytest.mark.django_db
def test_the_consent_ip_is_the_address_the_proxy_appended(client, behind_proxy):
    client.post("/", signup_data("ada@example.org"), **via_proxy(None, "198.51.100.7"))
    confirm = links_in(last_mail_to("ada@example.org"))["confirm"]
    client.post(confirm, **via_proxy("203.0.113.66", "198.51.100.7"))
    reader = Subscriber.objects.get()
    assert (reader.status, reader.consent_ip) == ("active", "198.51.100.7")


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["not-an-ip", "999.1.1.1", "x" * 300, "1.2.3.4, junk"])
def test_junk_in_x_forwarded_for_still_confirms_and_stores_no_junk(client, behind_proxy,
                                                                   header):
    client.post("/", signup_data("ada@example.org"))
    confirm = links_in(last_mail_to("ada@example.org"))["confirm"]
    response = Client(raise_request_exception=False).post(
        confirm, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)
    assert response.status_code == 200 and "You're subscribed" in response.content.decode()
    reader = Subscriber.objects.get()
    assert reader.status == "active" and reader.consent_ip is None


# --- the admin lockout (django-axes) counts (username, address) pairs by the same address


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.org",
                                                      "right-pass-123")


def log_in(client, password: str, **meta) -> bool:
    client.post(reverse("admin:login"), {"username": "boss", "password": password}, **meta)
    signed_in = "_auth_user_id" in client.session
    client.logout()
    return signed_in


@pytest.mark.django_db
def test_failures_claiming_the_operators_address_do_not_lock_them_out(client, behind_proxy,
                                                                      operator):
    for _ in range(6):  # an attacker at 192.0.2.66 writes the operator's address
        assert not log_in(client, "wrong", **via_proxy("198.51.100.7", "192.0.2.66"))
    assert log_in(client, "right-pass-123", **via_proxy(None, "198.51.100.7"))
    assert not log_in(client, "right-pass-123", **via_proxy("198.51.100.7", "192.0.2.66"))


@pytest.mark.django_db
def test_five_failures_from_the_operators_own_address_lock_that_address(client, behind_proxy,
                                                                        operator):
    for n in range(5):  # whatever they write in the header
        assert not log_in(client, "wrong", **via_proxy(f"192.0.2.{n}", "198.51.100.7"))
    assert not log_in(client, "right-pass-123", **via_proxy(None, "198.51.100.7"))
    assert log_in(client, "right-pass-123", **via_proxy(None, "198.51.100.8"))


@pytest.mark.django_db
def test_the_lockout_records_the_address_the_proxy_appended(client, behind_proxy, operator):
    from axes.models import AccessAttempt

    log_in(client, "wrong", **via_proxy("not-an-ip", "198.51.100.7"))
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("boss", "198.51.100.7")]
