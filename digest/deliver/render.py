"""Digest HTML and text: each paper card rendered (and its CSS inlined) once per run, the
page around them inlined once per process, so a digest is assembled, not re-rendered.

What differs per reader (the words marked in titles and summaries, why each paper came, the
headings, links) is filled in with escaped values.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

# short_authors and summary_of: the site's paper cards shorten them the same way.
from digest.deliver.cards import card_context, short_authors, summary_of  # noqa: F401
from digest.deliver.highlight import SUMMARY, TITLE, marked
from digest.deliver.sections import RECOMMENDED, Section, counted, sections_of
from digest.deliver.why import NO_GROUPS, TOPIC, ReaderGroups, Why, groups_of, why_of, why_sentence
from digest.editions.due import edition_window
from digest.follow.updates import PaperUpdates
from digest.learn.votes import FOLLOW, feedback_url
from digest.memo import BoundedCache
from digest.models import Delivery, Paper
from subscriptions.emails import inline, inline_fragment, stylesheet, subscriber_links
from subscriptions.models import Subscriber, Topic

MAX_HTML_BYTES = 100_000  # Gmail clips messages over 102 KB
DIGEST_CSS = "emails/digest/digest.css"
DAILY, WEEKLY = "daily", "weekly"
SUBJECT_NAMES_CHARS = 50  # the topics a subject names, before "+2 more"
UPDATES = "Updates on papers you follow"


@cache
def skeleton(kind: str = "mail", frequency: str = DAILY) -> str:
    """The digest page (emails/digest/page.html, in the mail layout) with [[placeholders]],
    CSS inlined. "mail" has the reader's own links in its footer; "web" (the browser view,
    which anyone holding a forwarded digest can open) has none, only a way to have them
    mailed."""
    page = inline(render_to_string("emails/digest/page.html",
                                   {"kind": kind, "frequency": frequency}),
                  css=stylesheet(DIGEST_CSS))
    if kind in ("web", "team-web"):  # a page of the site: its icon (css-inline drops links)
        page = page.replace("</title>", '</title><link rel="icon" href="[[site_url]]/favicon.svg"'
                                        ' type="image/svg+xml">', 1)
    return page


@cache
def text_skeleton(kind: str = "mail", frequency: str = DAILY) -> str:
    """The text part with [[placeholders]] for what differs per reader."""
    return render_to_string("emails/digest/body.txt", {"kind": kind, "frequency": frequency})


PLACEHOLDER = re.compile(r"\[\[(\w+)\]\]")


def fill(page: str, values: dict[str, str]) -> str:
    """[[name]] -> values[name], in one pass: a value holding "[[...]]" stays as it is."""
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], page)


@lru_cache(maxsize=1024)  # readers of an edition share their headings
def subject_of(edition: date, frequency: str, count: int, names: tuple[str, ...]) -> str:
    """"7 papers · Interpretability, Diffusion · Tue 1 Dec": plain text (the template does
    not escape: a subject is not HTML). `names`: the headings, best first."""
    shown = list(names[:1])
    for name in names[1:]:
        if len(", ".join([*shown, name])) > SUBJECT_NAMES_CHARS:
            break
        shown.append(name)
    more = len(names) - len(shown)
    return " ".join(render_to_string("emails/digest/subject.txt", {
        "edition": edition, "frequency": frequency, "count": count,
        "week_start": edition_window(edition=edition, frequency=WEEKLY)[0],
        "names": ", ".join(shown) + (f" +{more} more" if more else "")}).split())


def tagline_of(edition: date, frequency: str, whose: str = "Your") -> str:
    """"Your daily papers · Saturday 21 November 2026", or the week a weekly one covers."""
    if frequency != WEEKLY:
        return f"{whose} daily papers · {edition:%A} {edition.day} {edition:%B %Y}"
    first, last = edition_window(edition=edition, frequency=WEEKLY)
    start = f"{first.day}" if first.month == last.month else f"{first.day} {first:%B}"
    return f"{whose} weekly papers · {start}–{last.day} {last:%B %Y}"


@cache
def _styled(fragment: str) -> str:
    return inline_fragment(fragment, css=stylesheet(DIGEST_CSS))


def _tag(name: str, css_class: str = "") -> tuple[str, str]:
    """The opening and closing tags of an element (of a class) as the stylesheet styles it."""
    attributes = f' class="{css_class}"' if css_class else ""
    opening, closing = _styled(f"<{name}{attributes}>§</{name}>").split("§")
    return opening, closing


def _link(url: str, label: str, css_class: str) -> str:
    opening, closing = _tag("a", css_class)
    return opening.replace("<a", f'<a href="{escape(url)}"', 1) + escape(label) + closing


@dataclass(frozen=True)
class Card:
    html: str  # inlined, with <!--TITLE-->, <!--SUMMARY-->, <!--WHY--> and <!--ACTIONS-->
    text: str
    title: str  # what the reader's words are marked in
    summary: str


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
        self._topics: dict[int, Topic] | None = None

    def groups(self, subscriber: Subscriber, topic_ids: list[int] | None = None
               ) -> ReaderGroups:
        """The reader's topics and lines, which name why each paper came. `topic_ids`: the
        ids of their topics when read with a batch's (else read now); the catalog is read
        once per renderer."""
        if self._topics is None:
            self._topics = Topic.objects.in_bulk()
        if topic_ids is None:
            topic_ids = list(subscriber.topics.values_list("pk", flat=True))
        return groups_of(subscriber, topics=[self._topics[pk] for pk in topic_ids
                                             if pk in self._topics])

    def card(self, paper: Paper) -> Card:
        key = (paper.pk, paper.updated_at)
        found = _CARDS.get(key)
        if found is None:
            context = card_context(paper)
            html = inline_fragment(render_to_string("emails/digest/card.html", context),
                                   css=stylesheet(DIGEST_CSS))
            text = render_to_string("emails/digest/card.txt", context).strip()
            found = _CARDS.put(key, Card(html=html, text=text.replace("\n", "\n   "),
                                         title=paper.title, summary=context["summary"]))
            self.renders += 1
        return found

    def digest(self, *, edition: date, email: str, items: list[tuple[Paper, list[dict]]],
               links: dict[str, str], kind: str = "mail", frequency: str = DAILY,
               groups: ReaderGroups = NO_GROUPS,
               feedback: Callable[[Paper], tuple[str, str, str]] | None = None,
               updates: Sequence[PaperUpdates] = ()) -> Digest:
        """`items`: the papers, best first, each with the lines and words that matched.
        `kind`: "mail", or "web" for the browser view (no links of the reader's in it).
        `groups`: the reader's topics and lines, which name why each paper came.
        `feedback`: a paper's "More like this", "Less like this" and "Follow this paper"
        links, for the reader. `updates`: what changed on papers they follow, which the
        digest opens with (a digest may hold only those)."""
        whys = self.whys(items, groups)
        names = self.subject_names(whys) if items else (UPDATES,)
        subject = subject_of(edition, frequency, len(items), names)
        intro = self.intro(whys, frequency) if items else updates_intro(frequency)
        values = {"site_url": settings.SITE_URL, "tagline": self.tagline(edition, frequency),
                  "intro": intro, "email": email, "subject": subject, **links}
        page = fill(skeleton(kind, frequency),
                    {name: escape(value) for name, value in values.items()})
        cards = [self._card_html(paper, why, feedback)
                 for (paper, _), why in zip(items, whys, strict=True)]
        shown = len(cards)
        page = page.replace("<!--CARDS-->", updates_html(updates) + "<!--CARDS-->")
        html = self._assemble(page, cards, whys, shown, links["browser_url"])
        while len(html.encode()) > MAX_HTML_BYTES and shown > 1:
            shown -= 1
            html = self._assemble(page, cards, whys, shown, links["browser_url"])
        more = len(items) - shown
        text = fill(text_skeleton(kind, frequency), {
            **values, "papers": updates_text(updates) + self._text_papers(items, whys[:shown]),
            "more": f"\n{counted(more, 'more paper')} matched: {links['browser_url']}\n"
                    if more else ""})
        return Digest(subject=subject, html=html, text=text, papers=shown)

    # What a team's digest (digest.teams.mail) says its own way: why each paper came, the
    # headings, the tagline, the intro and what the subject names.
    def whys(self, items: list[tuple[Paper, list[dict]]], groups: ReaderGroups) -> list[Why]:
        return [why_of(matched, groups, title=paper.title) for paper, matched in items]

    def tagline(self, edition: date, frequency: str) -> str:
        return tagline_of(edition, frequency)

    def intro(self, whys: list[Why], frequency: str) -> str:
        return digest_intro(whys, frequency)

    def subject_names(self, whys: list[Why]) -> tuple[str, ...]:
        return subject_names(whys)

    def sections(self, whys: list[Why]) -> list[Section]:
        return sections_of(whys)

    def why_html(self, why: Why) -> str:
        return why_html(why)

    def why_sentence(self, why: Why) -> str:
        return why_sentence(why)

    def _card_html(self, paper: Paper, why: Why,
                   feedback: Callable[[Paper], tuple[str, str, str]] | None) -> str:
        card = self.card(paper)
        return (card.html.replace("<!--TITLE-->", marked_html(card.title, why.lines, TITLE))
                .replace("<!--SUMMARY-->", marked_html(card.summary, why.lines, SUMMARY))
                .replace("<!--WHY-->", self.why_html(why))
                .replace("<!--ACTIONS-->", actions_html(*feedback(paper)) if feedback else ""))

    def _assemble(self, page: str, cards: list[str], whys: list[Why], shown: int,
                  browser_url: str) -> str:
        sections = self.sections(whys[:shown])
        body = "".join((heading_html(section) if len(sections) > 1 else "")
                       + "".join(cards[position] for position in section.entries)
                       for section in sections)
        more = ""
        if shown < len(cards):
            opening, closing = _tag("p", "more")
            more = (f"{opening}{counted(len(cards) - shown, 'more paper')} matched: "
                    f'<a href="{escape(browser_url)}">see them all in your browser</a>.{closing}')
        return page.replace("<!--CARDS-->", body).replace("<!--MORE-->", more)

    def _text_papers(self, items: list[tuple[Paper, list[dict]]], whys: list[Why]) -> str:
        """The text part's papers, numbered, under the same headings as the HTML."""
        sections = self.sections(whys)
        lines, number = [], 0
        for section in sections:
            if len(sections) > 1:
                heading = f"{section.heading} · {counted(len(section.entries), 'paper')}"
                lines.append(f"\n{heading}\n{'=' * len(heading)}\n")
            for position in section.entries:
                number += 1
                why = self.why_sentence(whys[position])
                lines.append(f"\n{number}. {self.card(items[position][0]).text}\n"
                             + (f"   Why: {why}\n" if why else ""))
        return "".join(lines)


def subject_names(whys: list[Why]) -> tuple[str, ...]:
    """What a subject says the papers are about: the headings, best first, or why they came
    when no line of the reader's picked them."""
    sections = sections_of(whys)
    names = tuple(s.heading for s in sections if s.label and s.label != RECOMMENDED)
    if names:
        return names
    return (RECOMMENDED,) if any(why.recommended for why in whys) else ("Most upvoted",)


def digest_intro(whys: list[Why], frequency: str = DAILY) -> str:
    """The line under the heading: how many papers, and why they came."""
    n = len(whys)
    papers = counted(n, "new paper")
    picked = sum(1 for why in whys if why.recommended)
    if not any(why.groups or why.recommended for why in whys):
        period = "week" if frequency == WEEKLY else "day"
        return (f"The most upvoted paper of the {period}." if n == 1
                else f"The {n} most upvoted papers of the {period}.")
    if picked == n:
        return f"{papers} recommended for you, from what you told us and your clicks."
    if picked:
        return f"{papers}: {n - picked} matching what you follow, {picked} recommended for you."
    return f"{papers} matching what you follow."


def updates_intro(frequency: str = DAILY) -> str:
    """The line under the heading of a digest that holds only updates."""
    period = "this week" if frequency == WEEKLY else "today"
    return f"No new papers for you {period}, but papers you follow changed."


def updates_html(updates: Sequence[PaperUpdates]) -> str:
    """"Updates on papers you follow", which a digest opens with: rendered for each digest
    that has updates (few readers a day), its CSS inlined."""
    if not updates:
        return ""
    return inline_fragment(render_to_string("emails/digest/updates.html", {"updates": updates}),
                           css=stylesheet(DIGEST_CSS))


def updates_text(updates: Sequence[PaperUpdates]) -> str:
    if not updates:
        return ""
    return "\n" + render_to_string("emails/digest/updates.txt", {"updates": updates})


def heading_html(section: Section) -> str:
    opening, closing = _tag("h2", "section")
    count_open, count_close = _tag("span", "count")
    return (f"{opening}{escape(section.heading)} "
            f"{count_open}· {counted(len(section.entries), 'paper')}{count_close}{closing}")


@lru_cache(maxsize=16384)  # readers share lines, and an edition has few papers
def marked_html(text: str, lines: tuple[str, ...], field: str) -> str:
    """`text`, escaped, with the words the reader's matched lines found marked."""
    mark_open, mark_close = _tag("mark")
    return "".join(f"{mark_open}{escape(piece)}{mark_close}" if is_hit else escape(piece)
                   for piece, is_hit in marked(text, lines, field=field))


# Readers share topics and lines, and a paper matches few of them: an edition has a few
# thousand distinct reasons, however many readers, so each is built once. Bounded: worker
# memory stays flat.
@lru_cache(maxsize=16384)
def why_html(why: Why) -> str:
    """"Why this paper" in the reader's words: the topic or line that matched (a topic with
    the paper's words it found), the others it also matches; or, for a recommendation, the
    closest paper the reader liked. Everything in it is the reader's or the paper's:
    escaped."""
    if not why.recommended and not why.groups:
        return ""
    opening, closing = _tag("p", "why")
    if why.recommended:
        if not why.because_id:
            return f"{opening}Recommended for you, from what you told us.{closing}"
        link = _link(f"https://arxiv.org/abs/{why.because_id}",
                     why.because_title or why.because_id, "card-link")
        return f"{opening}Recommended for you: close to {link}{closing}"
    label_open, label_close = _tag("span", "label")
    mark_open, mark_close = _tag("mark")
    best, words = why.groups[0], why.words[0]
    said = f"Why: {label_open}{escape(best.label)}{label_close}"
    if best.kind == TOPIC and words:
        said += " — " + ", ".join(f"{mark_open}{escape(word)}{mark_close}" for word in words)
    if len(why.groups) > 1:
        said += " · Also matches " + ", ".join(
            f"{label_open}{escape(group.label)}{label_close}" for group in why.groups[1:])
    return f"{opening}{said}{closing}"


def actions_html(more_url: str, less_url: str, follow_url: str) -> str:
    """The card's one-click actions: "More like this", "Less like this", "Follow this
    paper"."""
    opening, closing = _tag("p", "actions")
    return (f"{opening}{_link(more_url, 'More like this', 'action')}"
            f"{_link(less_url, 'Less like this', 'action')}"
            f"{_link(follow_url, 'Follow this paper', 'action')}{closing}")


VIEW_SALT = "paperboy.digest.view"


def view_token(delivery: Delivery) -> str:
    """The browser view's link: the delivery's random key, signed (no database id)."""
    return signing.Signer(salt=VIEW_SALT).sign(delivery.key.hex)


def view_url(delivery: Delivery, site_url: str) -> str:
    return site_url + reverse("digest-view", args=[view_token(delivery)])


def digest_for(*, renderer: Renderer, subscriber: Subscriber, edition: date,
               items: list[tuple[Paper, list[dict]]], browser_url: str,
               frequency: str = DAILY, topic_ids: list[int] | None = None,
               updates: Sequence[PaperUpdates] = ()) -> tuple[Digest, dict]:
    """The digest as mailed, with the reader's own manage and unsubscribe links.
    `topic_ids`: the reader's topics, when read with a batch's."""
    links = {**subscriber_links(subscriber), "browser_url": browser_url}
    return renderer.digest(edition=edition, email=subscriber.email, items=items, links=links,
                           frequency=frequency, groups=renderer.groups(subscriber, topic_ids),
                           feedback=reader_feedback(subscriber), updates=updates), links


def digest_for_browser(*, renderer: Renderer, subscriber: Subscriber, edition: date,
                       items: list[tuple[Paper, list[dict]]], browser_url: str,
                       frequency: str = DAILY, with_feedback: bool = True,
                       updates: Sequence[PaperUpdates] = ()) -> Digest:
    """The digest as the browser view shows it: no link to the reader's preferences
    (whoever holds a forwarded digest can open the view), only a way to have them mailed to
    the reader; the one-click feedback links unless `with_feedback` is off (an operator's
    sample)."""
    links = {"browser_url": browser_url,
             "link_request_url": settings.SITE_URL + reverse("subscriptions:link")}
    return renderer.digest(edition=edition, email=subscriber.email, items=items, links=links,
                           kind="web", frequency=frequency,
                           groups=renderer.groups(subscriber), updates=updates,
                           feedback=reader_feedback(subscriber) if with_feedback else None)


def reader_feedback(subscriber: Subscriber) -> Callable[[Paper], tuple[str, str, str]]:
    """A paper's "More like this", "Less like this" and "Follow this paper" links, signed
    for this reader."""
    return lambda paper: tuple(
        feedback_url(subscriber=subscriber, arxiv_id=paper.arxiv_id, action=action)
        for action in ("more", "less", FOLLOW))
