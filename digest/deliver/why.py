"""Why a paper is in a reader's digest, in the reader's words: the name of the topic whose
lines matched ("Interpretability"), or their own line read as a phrase ("“world model” in the
title", "by Yann LeCun"), never the filter syntax. It works from what a DeliveryItem stores
(its `matched` JSON) and the reader's topics and lines, so a digest, its browser view or a
feed can all say it. Pure: no models, no settings (`groups_of` reads a subscriber's rows).
For a feed: `why_sentence(why_of(item.matched, groups_of(subscriber), title=paper.title))`.

A reader's groups are their topics (in the catalog's order), then their own lines, in the
order they typed them. A stored line is found in them by meaning (`LLMs` and `llm` are one
line); a line the reader has dropped since still reads as itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from digest.deliver.highlight import TITLE, marked
from subscriptions.filters import ANY, FilterError, Term, parse_line, reader_lines

TOPIC, LINE = "topic", "line"


@dataclass(frozen=True)
class Group:
    """A heading of the digest: a topic, or one of the reader's own lines."""

    label: str  # "Interpretability", "“sparse autoencoder”", "agent in the title"
    kind: str  # TOPIC or LINE


@dataclass(frozen=True)
class ReaderGroups:
    groups: tuple[Group, ...]
    of_key: dict  # a line's meaning (Query.key) -> the indexes of the groups that hold it

    @cached_property
    def order(self) -> dict[Group, int]:
        return {group: i for i, group in enumerate(self.groups)}

    def of_line(self, text: str) -> tuple[Group, ...]:
        """The groups holding this stored line, or the line on its own when none does."""
        key = _key(text)
        found = self.of_key.get(key, ()) if key is not None else ()
        return tuple(self.groups[i] for i in found) or (Group(readable_line(text), LINE),)


@dataclass(frozen=True)
class Why:
    """Why one paper came: its groups, best first, and the paper's words each matched; or,
    for a recommendation, the paper the reader liked that it is closest to."""

    groups: tuple[Group, ...] = ()
    words: tuple[tuple[str, ...], ...] = ()  # per group, the paper's words that matched
    lines: tuple[str, ...] = ()  # the stored lines that matched (what highlighting marks)
    recommended: bool = False
    because_id: str = ""
    because_title: str = ""

    @property
    def best(self) -> Group | None:
        return self.groups[0] if self.groups else None


NO_GROUPS = ReaderGroups(groups=(), of_key={})


def groups_of(subscriber, topics=None) -> ReaderGroups:
    """A subscriber's groups: their topics (`topics`, their Topic rows when at hand, or read
    now), in the catalog's order, then their own lines, authors included."""
    topics = subscriber.topics.all() if topics is None else topics
    ordered = sorted(topics, key=lambda topic: (topic.position, topic.name))
    return reader_groups(topics=tuple((topic.name, tuple(topic.lines)) for topic in ordered),
                         lines=reader_lines(interests=subscriber.interests,
                                            authors=subscriber.authors))


@lru_cache(maxsize=4096)  # readers who follow the same topics and lines share them
def reader_groups(*, topics: tuple[tuple[str, tuple[str, ...]], ...],
                  lines: tuple[str, ...]) -> ReaderGroups:
    """`topics`: (name, lines) of each topic the reader follows; `lines`: their own."""
    groups: list[Group] = []
    of_key: dict[tuple, list[int]] = {}
    own: dict[tuple, int] = {}  # an own line written twice (`LLMs`, `llm`) is one group
    for name, topic_lines in topics:
        groups.append(Group(name, TOPIC))
        for text in topic_lines:
            _add(of_key, _key(text), len(groups) - 1)
    for text in lines:
        key = _key(text)
        if key is None or key in own:
            continue
        groups.append(Group(readable_line(text), LINE))
        own[key] = len(groups) - 1
        _add(of_key, key, own[key])
    return ReaderGroups(groups=tuple(groups),
                        of_key={key: tuple(found) for key, found in of_key.items()})


def _add(of_key: dict, key: tuple | None, group: int) -> None:
    if key is not None and group not in of_key.setdefault(key, []):
        of_key[key].append(group)


def _key(text: str) -> tuple | None:
    try:
        return parse_line(text).key
    except FilterError:  # a stored line that no longer parses: it matches nothing
        return None


def why_of(matched: list[dict], groups: ReaderGroups, *, title: str = "") -> Why:
    """A paper's reasons (a DeliveryItem's `matched`) as the reader's groups, best first, as
    papers are ranked: a group whose lines hit the title first, then one with more matched
    lines, then the reader's order. No reasons: one of the edition's top papers."""
    if matched and matched[0].get("recommended"):
        because = matched[0].get("because") or {}
        return Why(recommended=True, because_id=because.get("arxiv_id", ""),
                   because_title=because.get("title", ""))
    words_of: dict[Group, list[str]] = {}
    lines_of: dict[Group, list[str]] = {}
    for reason in matched:
        for group in groups.of_line(reason["line"]):
            found = words_of.setdefault(group, [])
            found += [word for word in reason["words"] if word not in found]
            lines_of.setdefault(group, []).append(reason["line"])
    ranked = sorted(words_of, key=lambda group: (
        not any(hit for _, hit in marked(title, tuple(lines_of[group]), field=TITLE)),
        -len(lines_of[group]), groups.order.get(group, len(groups.groups))))
    return Why(groups=tuple(ranked), words=tuple(tuple(words_of[g]) for g in ranked),
               lines=tuple(reason["line"] for reason in matched))


def why_sentence(why: Why) -> str:
    """The reasons as one line of plain text: "Interpretability (sparse, autoencoders); also
    matches “world model” in the title". Empty for a top paper of the edition."""
    if why.recommended:
        if not why.because_id:
            return "Recommended for you, from what you told us"
        return f"Recommended for you: close to {why.because_title or why.because_id}"
    if not why.groups:
        return ""
    best, words = why.groups[0], why.words[0]
    sentence = best.label + (f" ({', '.join(words)})" if best.kind == TOPIC and words else "")
    if len(why.groups) > 1:
        sentence += "; also matches " + ", ".join(group.label for group in why.groups[1:])
    return sentence


# --- an interest line as a person reads it ------------------------------------------------


@lru_cache(maxsize=16384)
def readable_line(text: str) -> str:
    """`diffusion OR "flow matching" title:video -robotics cat:cs.CV` -> "diffusion or
    “flow matching”, video in the title, in cs.CV": phrases in quotes, fields said in words,
    exclusions left out (what a paper lacks never explains why it came), in the order
    written but categories last; neighbouring words of one field read together."""
    try:
        query = parse_line(text)
    except FilterError:
        return text
    parts: list[tuple[str, list[str]]] = []  # (field of a run of single terms, or "", words)
    for group in query.groups:
        field = group[0].field if len(group) == 1 and group[0].field in (ANY, "title") else ""
        if field and parts and parts[-1][0] == field:
            parts[-1][1].append(_words(group[0]))
        elif field:
            parts.append((field, [_words(group[0])]))
        else:  # an alternative (each term says its own field), an author or a category
            parts.append(("", [" or ".join(_with_field(term) for term in group)]))
    said = [" ".join(words) + (" in the title" if field == "title" else "")
            for field, words in parts]
    return ", ".join(sorted(said, key=lambda part: part.startswith("in ")))


def _with_field(term: Term) -> str:
    if term.field == "cat":
        return f"in {_written(term)}"
    if term.field == "author":
        return f"by {_written(term)}"
    if term.field == "title":
        return f"{_words(term)} in the title"
    return _words(term)


def _words(term: Term) -> str:
    """A term's words as written: a phrase in quotes, a prefix with an ellipsis."""
    bare = _bare(term)
    if bare.startswith('"'):
        return f"“{bare.strip(chr(34))}”"
    return bare[:-1] + "…" if bare.endswith("*") else bare


def _written(term: Term) -> str:
    """The term as typed, less its exclusion mark, field name and quotes."""
    return _bare(term).strip('"')


def _bare(term: Term) -> str:
    """The term as typed, less its exclusion mark and field name."""
    written = term.text.removeprefix("-")
    return written[len(term.field) + 1:] if term.field != ANY else written


def headings_of(groups: Sequence[Group]) -> str:
    """Group labels as a list for a subject or an intro: "Interpretability, Robotics"."""
    return ", ".join(group.label for group in groups)
