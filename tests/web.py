"""Helpers for tests of the reader's pages: mail links and forms as a reader would use them."""

import re
from html.parser import HTMLParser

from django.core import mail

LINK = re.compile(r"http://localhost:8000(/(?:confirm|manage|u|join|team-confirm|team-u)/"
                  r"[^/\s\"]+/)")


def links_in(message) -> dict[str, str]:
    """The site paths a mail links to, by kind: confirm, manage, u (and a team's: join,
    team-confirm, team-u)."""
    found = {}
    for path in LINK.findall(message.body):
        found.setdefault(path.split("/")[1], path)
    return found


def last_mail_to(address: str):
    sent = [m for m in mail.outbox if m.to == [address]]
    assert sent, f"no mail to {address}; outbox: {[(m.to, m.subject) for m in mail.outbox]}"
    return sent[-1]


def signup_data(email: str, **changes) -> dict:
    data = {
        "email": email, "interests": 'sparse autoencoder\n"language model" -robotics',
        "authors": "Yann LeCun", "frequency": "daily", "send_hour": "7",
        "timezone": "Europe/Paris", "papers_per_email": "10", "min_upvotes": "0",
        "topics": ["interpretability"], "website": "",
    }
    data.update(changes)
    return data


def tamper(token: str) -> str:
    """The token with its last character changed (always to a different one)."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


class _Page(HTMLParser):
    """What a visitor sees of a page: its title, its text, and its links."""

    HIDDEN = {"script", "style", "template", "title", "head"}
    # Elements that separate words wherever they start or end (inline ones do not).
    BREAKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "button", "td", "th",
              "tr", "br", "section", "article", "nav", "header", "footer", "label", "option",
              "select", "textarea", "input", "legend", "fieldset", "details", "summary"}

    def __init__(self):
        super().__init__()
        self.title, self.words, self.links, self._hidden, self._link = "", [], [], [], None

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.words.append(" ")
        if tag in self.HIDDEN:
            self._hidden.append(tag)
        if tag == "a":
            self._link = [dict(attrs).get("href", ""), ""]
            self.links.append(self._link)

    def handle_endtag(self, tag):
        if tag in self.BREAKS:
            self.words.append(" ")
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()
        if tag == "a":
            self._link = None

    def handle_data(self, data):
        if self._hidden:
            if self._hidden[-1] == "title":
                self.title += data
            return
        self.words.append(data)
        if self._link is not None:
            self._link[1] += data


def read_page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.title = " ".join(page.title.split())
    page.text = " ".join("".join(page.words).split())
    page.links = [(" ".join(text.split()), href) for href, text in page.links]
    return page


def page_of(response) -> _Page:
    assert response.status_code == 200, response.status_code
    return read_page(response.content.decode())
