"""What a paper's card says, the same in a digest's HTML and its text: its authors, summary,
where it came from (trending on Hugging Face, or how arXiv announced it) and its numbers."""

import re
from dataclasses import dataclass

from digest.deliver.sections import counted
from digest.models import Paper

SUMMARY_CHARS = 320
HF, ARXIV = "hf", "arxiv"
ANNOUNCED = {"cross": "Cross-listed on arXiv", "replace": "Replaced on arXiv",
             "replace-cross": "Replaced on arXiv"}


@dataclass(frozen=True)
class Badge:
    kind: str  # HF or ARXIV: the badge's colour
    label: str  # "Trending on Hugging Face", "New on arXiv"...
    stats: str  # "▲ 142 · 9 comments" (Hugging Face's), "v3" (a replaced version), or ""


def badge_of(paper: Paper) -> Badge | None:
    """Where the paper came from: Hugging Face's trending list (with its upvotes and
    comments), else arXiv's announcement (new, a cross-list, a replaced version)."""
    if paper.featured_on:
        stats = [f"▲ {paper.upvotes:,}"]
        if paper.num_comments:
            stats.append(counted(paper.num_comments, "comment"))
        return Badge(HF, "Trending on Hugging Face", " · ".join(stats))
    if paper.announced_on:
        replaced = paper.announce_type.startswith("replace")
        return Badge(ARXIV, ANNOUNCED.get(paper.announce_type, "New on arXiv"),
                     f"v{paper.arxiv_version}" if replaced else "")
    return None


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


def card_context(paper: Paper) -> dict:
    """The card templates' context (emails/digest/card.html and card.txt)."""
    return {"paper": paper, "authors": short_authors(paper.authors),
            "summary": summary_of(paper), "badge": badge_of(paper),
            "category": paper.primary_category,
            "stars": f"{paper.github_stars:,}" if paper.github_stars is not None else ""}
