"""Digest HTML and text: each paper card rendered (and its CSS inlined) once per run, the
page around them inlined once per process, so a digest is assembled, not re-rendered.

What differs per reader (links, "why this paper") is filled in with escaped values.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from digest.learn.votes import feedback_url
from digest.memo import BoundedCache
from digest.models import Delivery, Paper
from subscriptions.emails import inline, inline_fragment, stylesheet, subscriber_links
from subscriptions.models import Subscriber

MAX_HTML_BYTES = 100_000  # Gmail clips messages over 102 KB
SUMMARY_CHARS = 320
DIGEST_CSS = "emails/digest/digest.css"


@cache
def skeleton(kind: str = "mail") -> str:
    """The digest page (emails/digest/page.html, in the mail layout) with [[placeholders]],
    CSS inlined. "mail" has the reader's own links in its footer; "web" (the browser view,
    which anyone holding a forwarded digest can open) has none, only a way to have them
    mailed."""
    return inline(render_to_string("emails/digest/page.html", {"kind": kind}),
                  css=stylesheet(DIGEST_CSS))


@cache
def text_skeleton(kind: str = "mail") -> str:
    """The text part with [[placeholders]] for what differs per reader."""
    return render_to_string("emails/digest/body.txt", {"kind": kind})


PLACEHOLDER = re.compile(r"\[\[(\w+)\]\]")


def fill(page: str, values: dict[str, str]) -> str:
    """[[name]] -> values[name], in one pass: a value holding "[[...]]" stays as it is."""
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], page)


@lru_cache(maxsize=1024)  # readers of an edition share their first paper
def subject_of(edition: date, count: int, first_title: str) -> str:
    """Plain text (the template does not escape: a subject is not HTML)."""
    return " ".join(render_to_string("emails/digest/subject.txt", {
        "edition": edition, "count": count, "first_title": first_title}).split())


@cache
def _styled(fragment: str) -> str:
    return inline_fragment(fragment, css=stylesheet(DIGEST_CSS))


def _tag(name: str, css_class: str = "") -> tuple[str, str]:
    """The opening and closing tags of an element (of a class) as the stylesheet styles it."""
    attributes = f' class="{css_class}"' if css_class else ""
    opening, closing = _styled(f"<{name}{attributes}>§</{name}>").split("§")
    return opening, closing


def short_authors(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:3])} et al."


def summary_of(paper: Paper) -> str:
    """The AI summary, or the abstract's first sentences."""
    if paper.ai_summary:
        return paper.ai_summary
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(paper.abstract.split()))
    text = ""
    for sentence in sentences:
        if text and len(text) + len(sentence) > SUMMARY_CHARS:
            break
        text = f"{text} {sentence}".strip()
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Card:
    html: str  # inlined, with <!--WHY--> where the reader's reasons go
    text: str


@dataclass(frozen=True)
class Digest:
    subject: str
    html: str
    text: str
    papers: int  # cards in the HTML (some may be left for the browser to keep it small)


# Cards rendered in this process, by paper and version: a worker renders each paper once
# per run however many batches of digests it sends.
_CARDS: BoundedCache[Card] = BoundedCache(5000)


class Renderer:
    """Renders digests; a paper's card is rendered the first time it is needed, then reused."""

    def __init__(self):
        self.renders = 0

    def card(self, paper: Paper) -> Card:
        key = (paper.pk, paper.updated_at)
        found = _CARDS.get(key)
        if found is None:
            context = {"paper": paper, "authors": short_authors(paper.authors),
                       "summary": summary_of(paper)}
            html = inline_fragment(render_to_string("emails/digest/card.html", context),
                                   css=stylesheet(DIGEST_CSS))
            text = render_to_string("emails/digest/card.txt", context).strip()
            found = _CARDS.put(key, Card(html=html, text=text))
            self.renders += 1
        return found

    def digest(self, *, edition: date, email: str, items: list[tuple[Paper, list[dict]]],
               links: dict[str, str], kind: str = "mail",
               feedback: Callable[[Paper], tuple[str, str]] | None = None) -> Digest:
        """`items`: the papers, best first, each with the lines and words that matched.
        `kind`: "mail", or "web" for the browser view (no links of the reader's in it).
        `feedback`: a paper's "More like this" and "Less like this" links, for the reader."""
        intro = digest_intro([matched for _, matched in items])
        label = f"{edition:%A} {edition.day} {edition:%B %Y}"
        values = {"site_url": settings.SITE_URL, "edition_label": label, "intro": intro,
                  "email": email, **links}
        page = fill(skeleton(kind), {name: escape(value) for name, value in values.items()})
        cards = [self.card(paper).html.replace("<!--WHY-->", why_html(matched)).replace(
                     "<!--FEEDBACK-->", feedback_html(*feedback(paper)) if feedback else "")
                 for paper, matched in items]
        shown = len(cards)
        html = self._assemble(page, cards, shown, links["browser_url"])
        while len(html.encode()) > MAX_HTML_BYTES and shown > 1:
            shown -= 1
            html = self._assemble(page, cards, shown, links["browser_url"])
        numbered = []
        for number, (paper, matched) in enumerate(items[:shown], start=1):
            why = why_text(matched)
            numbered.append(f"\n{number}. {self.card(paper).text}\n"
                            + (f"   Why: {why}\n" if why else ""))
        more = len(items) - shown
        text = fill(text_skeleton(kind), {
            **values, "papers": "".join(numbered),
            "more": f"\n{more} more papers matched: {links['browser_url']}\n" if more else ""})
        subject = subject_of(edition, len(items), items[0][0].title if items else "")
        return Digest(subject=subject, html=html, text=text, papers=shown)

    @staticmethod
    def _assemble(page: str, cards: list[str], shown: int, browser_url: str) -> str:
        more = ""
        if shown < len(cards):
            opening, closing = _tag("p")
            more = (f'{opening}{len(cards) - shown} more papers matched: '
                    f'<a href="{escape(browser_url)}">see them all in your browser</a>.{closing}')
        return page.replace("<!--CARDS-->", "".join(cards[:shown])).replace("<!--MORE-->", more)


def digest_intro(reasons: list[list[dict]]) -> str:
    """The line under the heading: how many papers, and why they came."""
    n = len(reasons)
    papers = f"{n} new paper{'s' if n != 1 else ''}"
    picked = sum(1 for matched in reasons if recommended(matched))
    if not any(reasons):
        return f"The {n} most upvoted papers of the day."
    if picked == n:
        return f"{papers} recommended for you, from what you told us and your clicks."
    if picked:
        return f"{papers}: {n - picked} matching what you follow, {picked} recommended for you."
    return f"{papers} matching what you follow."


def recommended(matched: list[dict]) -> dict | None:
    """The reason of a paper the learned ranking recommended (no line matched it)."""
    return matched[0] if matched and matched[0].get("recommended") else None


def why_html(matched: list[dict]) -> str:
    """"Why this paper": each matched line with the paper's words that matched, highlighted,
    or, for a recommendation, the closest paper the reader liked. The lines are what the
    reader typed: escaped like everything else that is theirs."""
    if not matched:
        return ""
    opening, closing = _tag("p", "why")
    reason = recommended(matched)
    if reason is not None:
        because = reason.get("because")
        if not because:
            return f"{opening}Recommended for you, from what you told us.{closing}"
        link_open, link_close = _tag("a", "card-link")
        link_open = link_open.replace("<a", f'<a href="https://arxiv.org/abs/'
                                            f'{escape(because["arxiv_id"])}"', 1)
        return (f"{opening}Recommended for you: close to {link_open}"
                f"{escape(because['title'] or because['arxiv_id'])}{link_close}{closing}")
    reasons = "; ".join(_reason_html(line["line"], tuple(line["words"])) for line in matched)
    return f"{opening}Why: {reasons}{closing}"


# Readers share lines, and a line matches few words of a paper: an edition has a few thousand
# distinct (line, words) reasons, however many readers, so each is built once. Bounded:
# worker memory stays flat.
@lru_cache(maxsize=16384)
def _reason_html(line: str, words: tuple[str, ...]) -> str:
    code_open, code_close = _tag("code")
    mark_open, mark_close = _tag("mark")
    marked = ", ".join(f"{mark_open}{escape(word)}{mark_close}" for word in words)
    return f"{code_open}{escape(line)}{code_close}" + (f": {marked}" if marked else "")


def feedback_html(more_url: str, less_url: str) -> str:
    """The card's one-click links: "More like this" and "Less like this"."""
    opening, closing = _tag("p", "feedback")
    link_open, link_close = _tag("a", "card-link")
    links = [link_open.replace("<a", f'<a href="{escape(url)}"', 1) + label + link_close
             for url, label in ((more_url, "More like this"), (less_url, "Less like this"))]
    return f"{opening}{' · '.join(links)}{closing}"


def why_text(matched: list[dict]) -> str:
    reason = recommended(matched)
    if reason is not None:
        because = reason.get("because")
        if not because:
            return "recommended for you, from what you told us"
        return f"recommended for you, close to {because['title'] or because['arxiv_id']}"
    return "; ".join(
        f"{line['line']}" + (f" ({', '.join(line['words'])})" if line["words"] else "")
        for line in matched)


VIEW_SALT = "paperboy.digest.view"


def view_token(delivery: Delivery) -> str:
    """The browser view's link: the delivery's random key, signed (no database id)."""
    return signing.Signer(salt=VIEW_SALT).sign(delivery.key.hex)


def view_url(delivery: Delivery, site_url: str) -> str:
    return site_url + reverse("digest-view", args=[view_token(delivery)])


def digest_for(*, renderer: Renderer, subscriber: Subscriber, edition: date,
               items: list[tuple[Paper, list[dict]]], browser_url: str) -> tuple[Digest, dict]:
    """The digest as mailed, with the reader's own manage and unsubscribe links."""
    links = {**subscriber_links(subscriber), "browser_url": browser_url}
    return renderer.digest(edition=edition, email=subscriber.email, items=items, links=links,
                           feedback=reader_feedback(subscriber)), links


def digest_for_browser(*, renderer: Renderer, subscriber: Subscriber, edition: date,
                       items: list[tuple[Paper, list[dict]]], browser_url: str,
                       with_feedback: bool = True) -> Digest:
    """The digest as the browser view shows it: no link to the reader's preferences
    (whoever holds a forwarded digest can open the view), only a way to have them mailed to
    the reader; the one-click feedback links unless `with_feedback` is off (an operator's
    sample)."""
    links = {"browser_url": browser_url,
             "link_request_url": settings.SITE_URL + reverse("subscriptions:link")}
    return renderer.digest(edition=edition, email=subscriber.email, items=items, links=links,
                           kind="web",
                           feedback=reader_feedback(subscriber) if with_feedback else None)


def reader_feedback(subscriber: Subscriber) -> Callable[[Paper], tuple[str, str]]:
    """A paper's "More like this" and "Less like this" links, signed for this reader."""
    return lambda paper: (
        feedback_url(subscriber=subscriber, arxiv_id=paper.arxiv_id, action="more"),
        feedback_url(subscriber=subscriber, arxiv_id=paper.arxiv_id, action="less"))
