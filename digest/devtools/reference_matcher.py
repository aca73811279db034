"""The slow, obvious evaluator: one reader, one line, one paper at a time, straight from the
text. The compiled matcher must agree with it; the benchmark measures against it."""

from functools import lru_cache

from digest.match.index import PaperDoc
from digest.match.readers import Reader
from subscriptions.filters import FilterError, Query, Term, parse_line, tokenize


@lru_cache(maxsize=100_000)
def words_of(text: str) -> list[tuple[str, str]]:
    """Each text is tokenized once, as any sensible loop would."""
    return tokenize(text)


def segments(paper: PaperDoc, field: str) -> list[tuple[str, str]]:
    """(segment name, text) pairs a term of this field looks in."""
    if field == "title":
        return [("title", paper.title)]
    if field == "author":
        return [("author", name) for name in paper.authors]
    return ([("title", paper.title), ("abstract", paper.abstract)]
            + [("keyword", keyword) for keyword in paper.keywords])


def term_hits(term: Term, paper: PaperDoc) -> tuple[bool, bool]:
    """(matches anywhere it may, matches in the title)."""
    if term.field == "cat":
        return term.category in [c.lower() for c in paper.categories], False
    anywhere = in_title = False
    for name, text in segments(paper, term.field):
        words = words_of(text)
        for start in range(len(words)):
            window = words[start:start + len(term.slots)]
            if len(window) < len(term.slots):
                break
            if all((word[1] == value) if kind == "stem" else word[0].startswith(value)
                   for (kind, value), word in zip(term.slots, window, strict=True)):
                anywhere = True
                in_title = in_title or name == "title"
    return anywhere, in_title


def line_hits(query: Query, paper: PaperDoc) -> tuple[bool, bool]:
    """(the line matches, and one of its positive terms, alternatives included, is in the
    title). Each group needs one of its terms; `a OR b` is a group of two."""
    for group in query.groups:
        if not any(term_hits(term, paper)[0] for term in group):
            return False, False
    if any(term_hits(term, paper)[0] for term in query.negatives):
        return False, False
    return True, any(term_hits(term, paper)[1] for group in query.groups for term in group)


def paper_order(paper: PaperDoc) -> tuple:
    return (-paper.upvotes, -(paper.day.toordinal() if paper.day else 0), paper.key)


def rank_for_reader(reader: Reader, papers: list[PaperDoc], topics: dict) -> list[int]:
    texts = list(reader.lines) + [t for slug in reader.topics for t in topics.get(slug, [])]
    queries = {}
    for text in texts:
        try:
            query = parse_line(text)
        except FilterError:
            continue
        queries.setdefault(query.key, query)
    everything = not reader.lines and not reader.topics
    scored = []
    for paper in papers:
        if paper.upvotes < reader.min_upvotes or paper.key in reader.sent:
            continue
        if everything:
            scored.append(((0, -1, *paper_order(paper)), paper.key))
            continue
        hits = [line_hits(query, paper) for query in queries.values()]
        count = sum(1 for matched, _ in hits if matched)
        title = any(in_title for matched, in_title in hits if matched)
        if count:
            scored.append(((-int(title), -count, *paper_order(paper)), paper.key))
    return [key for _, key in sorted(scored)[:reader.limit]]
