"""A digest's papers under headings: each paper once, under its best group (a topic or one of
the reader's lines), the headings in rank order (the one holding the best paper first), and
the papers the learned ranking recommended in a section of their own, last. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass

from digest.deliver.why import Why

RECOMMENDED = "Recommended for you"


@dataclass(frozen=True)
class Section:
    label: str  # a group's label, RECOMMENDED, or "" for the edition's top papers
    entries: tuple[int, ...]  # positions in the digest's papers (rank order), best first

    @property
    def heading(self) -> str:
        """The label as a heading: "Interpretability", "By Yann LeCun"."""
        return self.label[:1].upper() + self.label[1:]


def sections_of(whys: Sequence[Why]) -> list[Section]:
    """The papers (their reasons, in rank order) grouped under their best group."""
    entries: dict[str, list[int]] = {}
    recommended = []
    for position, why in enumerate(whys):
        if why.recommended:
            recommended.append(position)
        else:
            entries.setdefault(why.best.label if why.best else "", []).append(position)
    sections = [Section(label, tuple(found)) for label, found in entries.items()]
    if recommended:
        sections.append(Section(RECOMMENDED, tuple(recommended)))
    return sections


def counted(count: int, noun: str, plural: str = "") -> str:
    """"1 paper", "7 papers"."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
