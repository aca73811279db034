"""The one place that builds email messages: three templates each (subject, text, HTML), in
the one mail layout (emails/base.html), CSS inlined for mail clients by the one inliner here,
headers, and Anymail tags and metadata."""

from functools import cache

import css_inline
from anymail.message import AnymailMessage
from django.conf import settings
from django.template.loader import render_to_string

from subscriptions import tokens
from subscriptions.models import SignupRequest, Subscriber


@cache
def stylesheet(name: str) -> str:
    """A stylesheet of templates/, through the template loader, read once per process."""
    return render_to_string(name)


@cache
def _inliner(extra_css: str) -> css_inline.CSSInliner:
    # keep_style_tags: what cannot be inlined (@media: dark mode, narrow screens) stays.
    return css_inline.CSSInliner(extra_css=extra_css or None, keep_style_tags=True)


def inline(html: str, *, css: str = "") -> str:
    """A mail page with its styles (its <style> and `css`) in style attributes, where mail
    clients that drop <style> still see them."""
    return _inliner(css).inline(html)


def inline_fragment(fragment: str, *, css: str) -> str:
    """A piece of a mail page (a paper's card), styled by `css` in style attributes."""
    return _inliner("").inline_fragment(fragment, css)


def message_build(*, template: str, to: str, context: dict | None = None,
                  headers: dict | None = None, tags: list[str] | None = None,
                  metadata: dict | None = None, subject: str | None = None,
                  text: str | None = None, html: str | None = None) -> AnymailMessage:
    """emails/TEMPLATE/{subject.txt, body.txt, body.html} rendered into one message; a part
    given already rendered (the digest assembles its own) is used as it is."""
    context = {"site_url": settings.SITE_URL, **(context or {})}
    if subject is None:
        subject = render_to_string(f"emails/{template}/subject.txt", context)
    if text is None:
        text = render_to_string(f"emails/{template}/body.txt", context)
    if html is None:
        html = inline(render_to_string(f"emails/{template}/body.html", context))
    message = AnymailMessage(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    message.tags = tags or [template]
    message.metadata = metadata or {}
    return message


def subscriber_links(subscriber: Subscriber) -> dict:
    return {
        "manage_url": tokens.link(subscriber=subscriber, purpose=tokens.MANAGE),
        "unsubscribe_url": tokens.link(subscriber=subscriber, purpose=tokens.UNSUBSCRIBE),
        "feed_url": tokens.feed_link(subscriber=subscriber),
    }


def unsubscribe_headers(unsubscribe_url: str) -> dict:
    """RFC 2369 and RFC 8058: mailbox providers show an unsubscribe button that POSTs."""
    return {"List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_confirmation(request: SignupRequest) -> None:
    message_build(
        template="confirm", to=request.email,
        context={"email": request.email, "confirm_url": tokens.confirm_link(request=request),
                 "days": settings.CONFIRM_LINK_MAX_AGE_DAYS},
    ).send()


def _send_with_links(template: str, subscriber: Subscriber, **context) -> None:
    links = subscriber_links(subscriber)
    message_build(
        template=template, to=subscriber.email,
        context={"subscriber": subscriber, **links, **context},
        headers=unsubscribe_headers(links["unsubscribe_url"]),
    ).send()


def send_manage_link(subscriber: Subscriber) -> None:
    _send_with_links("manage_link", subscriber, days=settings.MANAGE_LINK_MAX_AGE_DAYS)


def send_welcome(subscriber: Subscriber) -> None:
    _send_with_links("welcome", subscriber)
