"""Random and hostile input at every public endpoint: never a server error, nothing stored
from a rejected request, no token that works for another purpose or can be forged."""

import ipaddress
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subscriptions import tokens
from subscriptions.models import MailEvent, Subscriber
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory

pytestmark = pytest.mark.django_db
CHECKS = settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
ANSWERS = {200, 302, 400, 404, 405, 429}
nasty = st.one_of(st.text(max_size=300), st.sampled_from([
    "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a" * 5000, "ada@example.org",
    "😀@example.org", "-robotics", '"open', "cat:../../etc", "title:", "\u202e", "%00",
]))
addresses = st.ip_addresses(v=4).map(str)
# X-Forwarded-For as clients write it (the proxy appends its entry after theirs): junk, many
# entries, IPv6 with and without brackets and ports, spaces, quotes, RFC 7239 pieces.
hop = st.one_of(st.ip_addresses().map(str), st.text(max_size=20), st.sampled_from([
    "", " ", "unknown", "[::1]:80", "1.2.3.4:8080", '"', "for=1.2.3.4", "0.0.0.0",
    "::ffff:10.0.0.1", "2001:db8::1%eth0", "999.1.1.1", "\x00", "1.2.3.4 , 5.6.7.8"]))
forwarded = st.one_of(
    st.text(max_size=300),
    st.lists(hop, max_size=60).map(",".join),
    st.lists(st.ip_addresses(v=6).map(lambda a: f"  {a} "), min_size=1, max_size=5).map(
        ", ".join),
)


def proxy_headers(header: str | None, ip: str) -> dict:
    """The request from behind the proxy: REMOTE_ADDR is the proxy, and the header (if the
    client sent one, or what the proxy made of it) is what reaches gunicorn."""
    meta = {"REMOTE_ADDR": ip}
    if header is not None:
        meta["HTTP_X_FORWARDED_FOR"] = header
    return meta


def snapshot():
    return (Subscriber.objects.count(), MailEvent.objects.count(),
            list(Subscriber.objects.values_list("status", "interests").order_by("pk")))


@CHECKS
@given(data=st.dictionaries(st.sampled_from([
    "email", "interests", "authors", "topics", "frequency", "send_hour", "timezone",
    "papers_per_email", "min_upvotes", "website", "action"]), nasty, max_size=11),
    ip=addresses, header=st.none() | forwarded, proxies=st.integers(0, 2))
def test_signup_never_fails_and_stores_only_what_it_accepts(client, settings, data, ip, header,
                                                            proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    before = snapshot()
    response = client.post("/", data, **proxy_headers(header, ip))
    assert response.status_code in ANSWERS
    if response.status_code != 302:  # rejected: the form again, or too many attempts
        assert snapshot() == before


@CHECKS
@given(params=st.dictionaries(st.sampled_from(["interests", "authors", "topics"]), nasty,
                              max_size=3), ip=addresses, header=st.none() | forwarded,
       proxies=st.integers(0, 2))
def test_the_preview_answers_json_whatever_it_is_sent(client, settings, params, ip, header,
                                                      proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    response = client.get("/preview/", params, **proxy_headers(header, ip))
    assert response.status_code in {200, 400, 429}
    assert isinstance(response.json(), dict)


@CHECKS
@given(token=st.text(min_size=1, max_size=200), path=st.sampled_from(
    ["confirm", "manage", "u", "d"]), method=st.sampled_from(["get", "post"]),
    body=st.dictionaries(st.sampled_from(["action", "reason", "interests"]), nasty,
                         max_size=3))
def test_made_up_tokens_are_refused_and_change_nothing(client, token, path, method, body):
    Subscriber.objects.get_or_create(email="ada@example.org",
                                     defaults={"status": "active", "interests": "x"})
    before = snapshot()
    response = getattr(client, method)(f"/{path}/{quote(token, safe='')}/", body)
    assert response.status_code in {400, 404, 405}
    assert snapshot() == before


@CHECKS
@given(header=st.none() | forwarded, proxies=st.integers(0, 2), ip=addresses)
def test_confirming_behind_a_proxy_works_whatever_the_header_says(client, settings, header,
                                                                  proxies, ip):
    settings.TRUSTED_PROXY_COUNT = proxies
    Subscriber.objects.filter(email="ada@example.org").delete()
    request = SignupRequestFactory(email="ada@example.org")
    token = tokens.confirm_token_make(request=request)
    response = client.post(f"/confirm/{token}/", **proxy_headers(header, ip))
    assert response.status_code == 200
    reader = Subscriber.objects.get(email="ada@example.org")
    assert reader.status == "active"
    assert reader.consent_ip is None or ipaddress.ip_address(reader.consent_ip)


@CHECKS
@given(header=st.none() | forwarded, proxies=st.integers(0, 2), ip=addresses,
       password=st.sampled_from(["wrong", "right-pass-123"]))
def test_the_admin_login_answers_whatever_the_header_says(client, settings, django_user_model,
                                                          header, proxies, ip, password):
    settings.TRUSTED_PROXY_COUNT = proxies
    if not django_user_model.objects.exists():
        django_user_model.objects.create_superuser("boss", "b@example.org", "right-pass-123")
    response = client.post("/admin/login/", {"username": "boss", "password": password},
                           **proxy_headers(header, ip))
    assert response.status_code in {200, 302, 403, 429}


@pytest.mark.parametrize(("made_for", "used_at"), [
    (tokens.CONFIRM, "manage"), (tokens.CONFIRM, "u"), (tokens.MANAGE, "confirm"),
    (tokens.MANAGE, "u"), (tokens.UNSUBSCRIBE, "confirm"), (tokens.UNSUBSCRIBE, "manage"),
])
def test_a_token_never_works_for_another_purpose(client, made_for, used_at):
    reader = SubscriberFactory(email="ada@example.org", status="unsubscribed")
    # A sign-up request with the same random value as the reader's token: only the
    # purpose's own salt tells the links apart.
    request = SignupRequestFactory(email="ada@example.org", key=reader.token)
    token = (tokens.confirm_token_make(request=request) if made_for == tokens.CONFIRM
             else tokens.token_make(subscriber=reader, purpose=made_for))
    assert client.post(f"/{used_at}/{token}/", {"action": "2w"}).status_code == 400
    reader.refresh_from_db()
    assert (reader.status, reader.paused_until) == ("unsubscribed", None)


def test_a_token_stops_working_when_the_subscriber_token_is_rotated(client):
    reader = SubscriberFactory(email="ada@example.org", status="active")
    old = tokens.token_make(subscriber=reader, purpose=tokens.UNSUBSCRIBE)
    reader.token = "rotated-" + reader.token
    reader.save()
    assert client.post(f"/u/{old}/").status_code == 400
    reader.refresh_from_db()
    assert reader.status == "active"


@CHECKS
@given(body=st.one_of(st.binary(max_size=500), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["RecordType", "Type", "ID", "Email", "MessageID", "BouncedAt"]),
        inner, max_size=6), max_leaves=20).map(lambda value: json.dumps(value).encode())),
    authorized=st.booleans(), header=st.none() | forwarded, proxies=st.integers(0, 2))
def test_webhooks_survive_junk_and_refuse_strangers(client, settings, body, authorized, header,
                                                    proxies):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "user:pass"}
    settings.TRUSTED_PROXY_COUNT = proxies
    before = snapshot()
    headers = {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"} if authorized else {}
    headers.update(proxy_headers(header, "127.0.0.1"))
    response = client.post("/anymail/postmark/tracking/", body,
                           content_type="application/json", **headers)
    assert response.status_code in {200, 400, 403}
    if not authorized:
        assert response.status_code in {400, 403} and snapshot() == before


@pytest.mark.parametrize("body", [b"\xff", b"[]", b"1", b'"x"', b"{not json"])
def test_a_credentialed_webhook_with_junk_gets_a_400(client, settings, body):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "user:pass"}
    response = client.post("/anymail/postmark/tracking/", body,
                           content_type="application/json",
                           HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 400
    assert MailEvent.objects.count() == 0


def test_topic_ids_too_large_for_the_database_are_ignored(client):
    response = client.get("/preview/", {"topics": ["9223399999999999999", "1" * 40]})
    assert response.status_code == 200 and response.json()["papers"] == 0


def test_a_topic_that_cannot_be_a_slug_is_ignored_by_the_preview(client):
    """PostgreSQL refuses a NUL in a query: the preview must not hand it one."""
    for topics in (["\x00"], ["robotics\x00"], ["x" * 500], ["robotics", "no such"]):
        response = client.get("/preview/", {"topics": topics})
        assert response.status_code == 200 and "papers" in response.json()
