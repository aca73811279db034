"""The reader's pages: signup, confirm, preferences, unsubscribe, link requests, preview.

Links in mail are signed (subscriptions.tokens); GET never changes anything (mail scanners
open links), POST acts. Responses never reveal whether an address is subscribed. Pages
behind a signed link are never cached and send no Referer (subscriptions.private_pages).
"""

import json
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from subscriptions import tokens
from subscriptions.consent import (
    signup_request_confirm,
    subscriber_send_link,
    subscriber_signup,
    subscriber_unsubscribe,
)
from subscriptions.forms import LinkRequestForm, PreferencesForm, SignupForm
from subscriptions.help import filter_help_html
from subscriptions.models import SignupRequest, Subscriber
from subscriptions.pausing import PAUSES, paused_until, subscriber_pause, subscriber_resume
from subscriptions.personal_data import subscriber_data_export, subscriber_erase
from subscriptions.private_pages import token_page
from subscriptions.services import Preferences, subscriber_update
from subscriptions.timezones import zone_aliases
from subscriptions.visitors import address_key, client_ip, ip_key

PER_IP = "20/h"  # signups or link requests from one address on the internet
PER_ADDRESS = "5/h"  # mails to one mailbox from the forms


def limited(request: HttpRequest, *, group: str, key, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST",
                          increment=True)


def too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/too_many.html", status=429)


def bad_link(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "subscriptions/bad_link.html", {"reason": reason}, status=400)


def mailing_form_post(request: HttpRequest, form, *, ip_group: str,
                      act: Callable[[], object]) -> HttpResponse | None:
    """The POST of a form that mails the address typed in it (signup, link request): a
    limit per visitor, a limit per mailbox and the honeypot. The answer is the same whichever
    applied, so it says nothing about the address. None: the form is invalid, show it again."""
    if limited(request, group=ip_group, key=ip_key, rate=PER_IP):
        return too_many(request)
    if not form.is_valid():
        return None
    over = limited(request, group="mail-address", key=address_key, rate=PER_ADDRESS)
    if not form.is_bot() and not over:
        act()
    return redirect("subscriptions:check-inbox")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        answer = mailing_form_post(request, form, ip_group="signup-ip", act=lambda: (
            subscriber_signup(email=form.cleaned_data["email"],
                              preferences=form.preferences(), now=timezone.now())))
        if answer:
            return answer
    return render(request, "subscriptions/signup.html",
                  {"form": form, "timezone_aliases": json.dumps(zone_aliases())})


@require_GET
def check_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/check_inbox.html")


@token_page
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (mail scanners open links); the owner's POST is their consent."""
    try:
        signup = tokens.confirm_token_read(token=token)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    subscriber = None
    if request.method == "POST":
        subscriber = signup_request_confirm(request=signup, ip=client_ip(request),
                                            now=timezone.now())
        if subscriber is None:
            return bad_link(request, "suppressed")
    elif signup.confirmed_at is not None:
        subscriber = Subscriber.objects.filter(email=signup.email).first()
    if subscriber is not None and subscriber.status == Subscriber.Status.ACTIVE:
        manage = reverse("subscriptions:manage", args=[
            tokens.token_make(subscriber=subscriber, purpose=tokens.MANAGE)])
        return render(request, "subscriptions/confirmed.html",
                      {"subscriber": subscriber, "manage_url": manage})
    if signup.confirmed_at is not None:
        return bad_link(request, "used")
    return render(request, "subscriptions/confirm.html", {"email": signup.email})


@token_page
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.token_read(token=token, purpose=tokens.MANAGE)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    if subscriber.status in (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED):
        return bad_link(request, "suppressed")
    action = request.POST.get("action", "save")
    form = PreferencesForm.for_subscriber(subscriber)
    if request.method == "POST":
        if action == "save":
            form = PreferencesForm(request.POST, request.FILES)
            if form.is_valid():
                subscriber_update(subscriber=subscriber, preferences=form.preferences())
                messages.success(request, "Saved. Your next digest follows these choices.")
                return redirect(request.path)
        elif action in PAUSES and subscriber.status == Subscriber.Status.ACTIVE:
            until = subscriber_pause(subscriber=subscriber, choice=action, now=timezone.now(),
                                     where="the manage page")
            messages.success(request, f"Paused for {PAUSES[action][0]}: no digests until "
                                      f"after {until:%-d %B}.")
            return redirect(request.path)
        elif action == "resume":
            subscriber_resume(subscriber=subscriber, now=timezone.now(), where="the manage page")
            messages.success(request, "Resumed: your digests start again.")
            return redirect(request.path)
        elif action == "resubscribe":
            return resubscribe(request, subscriber)
        elif action == "erase":
            if request.POST.get("erase_confirmed") != "yes":
                messages.error(request, "Tick the box to confirm that everything should go.")
                return redirect(request.path)
            subscriber_erase(subscriber=subscriber, now=timezone.now())
            return render(request, "subscriptions/erased.html")
    unsubscribe = reverse("subscriptions:unsubscribe", args=[
        tokens.token_make(subscriber=subscriber, purpose=tokens.UNSUBSCRIBE)])
    return render(request, "subscriptions/manage.html", {
        "form": form, "subscriber": subscriber, "unsubscribe_url": unsubscribe,
        "feed_url": tokens.feed_link(subscriber=subscriber),
        "my_data_url": reverse("subscriptions:my-data", args=[token]),
        "pauses": {key: label for key, (label, _) in PAUSES.items()},
        "paused": paused_until(subscriber, now=timezone.now()),
    })


def resubscribe(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """Subscribe again, through opt-in, with the choices the reader had; the confirmation
    mails count against the mailbox's limit, as the forms' do."""
    if limited(request, group="mail-address", key=lambda group, request: subscriber.email,
               rate=PER_ADDRESS):
        return too_many(request)
    subscriber_signup(email=subscriber.email, preferences=Preferences.of(subscriber),
                      now=timezone.now(), origin=SignupRequest.Origin.RESUBSCRIBE)
    return redirect("subscriptions:check-inbox")


@csrf_exempt  # RFC 8058: mailbox providers POST without cookies or a CSRF token
@token_page
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.token_read(token=token, purpose=tokens.UNSUBSCRIBE)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    if request.method == "POST":
        # A mailbox provider's one-click POST carries only List-Unsubscribe=One-Click.
        action = request.POST.get("action", "unsubscribe")
        if action in PAUSES and subscriber.status == Subscriber.Status.ACTIVE:
            until = subscriber_pause(subscriber=subscriber, choice=action, now=timezone.now(),
                                     where="the unsubscribe page")
            return render(request, "subscriptions/paused.html", {
                "subscriber": subscriber, "until": until, "resumes": until + timedelta(days=1)})
        if action == "resubscribe" and subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            return resubscribe(request, subscriber)
        subscriber_unsubscribe(subscriber=subscriber, now=timezone.now())
        return render(request, "subscriptions/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "subscriptions/unsubscribe.html", {
        "subscriber": subscriber, "paused": paused_until(subscriber, now=timezone.now()),
        "pauses": {key: label for key, (label, _) in PAUSES.items()}})


@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST":
        answer = mailing_form_post(request, form, ip_group="link-ip",
                                   act=lambda: subscriber_send_link(
                                       email=form.cleaned_data["email"]))
        if answer:
            return answer
    return render(request, "subscriptions/link_request.html", {"form": form})


@token_page
@require_GET
def my_data(request: HttpRequest, token: str) -> HttpResponse:
    """Everything held about the reader, as JSON, from their manage link (reading only)."""
    try:
        subscriber = tokens.token_read(token=token, purpose=tokens.MANAGE)
    except tokens.BadToken as error:
        return bad_link(request, error.reason)
    response = JsonResponse(subscriber_data_export(subscriber=subscriber),
                            json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="paperboy-my-data.json"'
    return response


@require_GET
def filter_help(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/filter_help_page.html",
                  {"filter_help": filter_help_html()})


# The site's icons (templates/icons/favicon.svg is the drawing; the .ico and .png were
# rendered from it): what base.html links, and what browsers ask for unprompted.
ICONS = {"favicon.ico": "image/vnd.microsoft.icon", "favicon.svg": "image/svg+xml",
         "apple-touch-icon.png": "image/png"}


@lru_cache(maxsize=len(ICONS))
def _icon_bytes(name: str) -> bytes:
    return (settings.BASE_DIR / "templates" / "icons" / name).read_bytes()


@require_GET
@cache_control(max_age=7 * 86400, public=True)
def icon(request: HttpRequest, name: str) -> HttpResponse:
    return HttpResponse(_icon_bytes(name), content_type=ICONS[name])
