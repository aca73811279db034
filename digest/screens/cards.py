"""A paper's card on the site: what a researcher scans (arXiv id, primary category, where it
was listed and how it fared there, authors, organization) and where to read it. The mail
has its own cards (digest/deliver); the summary and the authors are shortened the same way."""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from digest.deliver.cards import ANNOUNCED, short_authors, summary_of
from digest.deliver.sections import counted
from digest.models import Paper


@dataclass(frozen=True)
class Badge:
    source: str  # "hf" or "arxiv": how the page colours it
    label: str  # "Trending on Hugging Face", "New on arXiv"...
    detail: str = ""  # "▲ 142 · 3 comments", "v2"


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str = ""  # "★ 1,204" beside the code link


@dataclass(frozen=True)
class Listed:
    """A day the paper was listed, for the archive link on its page."""

    label: str
    day: date


@dataclass(frozen=True)
class PaperCard:
    paper: Paper
    page_url: str
    category: str  # the primary one, or ""
    badges: list[Badge]
    authors: str
    summary: str
    links: list[Link]
    listed: list[Listed]


def arxiv_badge(paper: Paper) -> Badge:
    """How arXiv announced it, as stored from its feed (the mail's badge says the same)."""
    replaced = paper.announce_type.startswith("replace")
    return Badge("arxiv", ANNOUNCED.get(paper.announce_type, "New on arXiv"),
                 f"v{paper.arxiv_version}" if replaced else "")


def paper_badges(paper: Paper) -> list[Badge]:
    badges = []
    if paper.featured_on:
        detail = f"▲ {paper.upvotes:,}"
        if paper.num_comments:
            detail += f" · {counted(paper.num_comments, 'comment')}"
        badges.append(Badge("hf", "Trending on Hugging Face", detail))
    if paper.announced_on:
        badges.append(arxiv_badge(paper))
    return badges


def paper_links(paper: Paper) -> list[Link]:
    links = [Link("Abstract", paper.arxiv_url),
             Link("PDF", paper.pdf_url)]
    if paper.featured_on:
        links.append(Link("Hugging Face", paper.hf_url))
    if paper.github_repo:
        stars = f"★ {paper.github_stars:,}" if paper.github_stars else ""
        links.append(Link("Code", paper.github_repo, stars))
    if paper.project_page:
        links.append(Link("Project page", paper.project_page))
    return links


def paper_card(paper: Paper) -> PaperCard:
    listed = [Listed("Featured on Hugging Face", paper.featured_on)] if paper.featured_on else []
    if paper.announced_on:
        listed.append(Listed("Announced by arXiv", paper.announced_on))
    return PaperCard(
        paper=paper, page_url=reverse("paper", args=[paper.arxiv_id]),
        category=paper.primary_category,
        badges=paper_badges(paper),
        authors=short_authors(paper.authors), summary=summary_of(paper),
        links=paper_links(paper), listed=listed)
