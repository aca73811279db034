"""Which words of a card's title or summary a reader's matched lines found: the text cut into
pieces, each marked or not, for the digest to highlight. The words are found again here, by
the same rules the matcher used (stems, prefixes, phrases of adjacent words), because the
summary a card shows is not always the text that was matched (it may be the AI summary).
Pure: no models, no settings."""

from functools import lru_cache

from digest.match.index import phrase_starts
from subscriptions.filters import ANY, WORD, FilterError, parse_line, tokenize

TITLE, SUMMARY = "title", "summary"
JOINERS = {" ", "-"}  # between two marked words of one phrase
FIELDS = {TITLE: (ANY, "title"), SUMMARY: (ANY,)}  # the line fields each text answers to


@lru_cache(maxsize=16384)  # readers share lines, and an edition has few papers
def marked(text: str, lines: tuple[str, ...], *, field: str) -> tuple[tuple[str, bool], ...]:
    """`text` as (piece, marked) pieces that join back into it; marked words next to each
    other (a phrase, `GPT-4`) are one piece."""
    words, _ = _words(text)
    hits = set().union(*(_line_hits(text, line, field) for line in lines))
    pieces: list[tuple[str, bool]] = []
    end = 0
    for n, (start, stop, word) in enumerate(words):
        between, is_hit = text[end:start], n in hits
        if is_hit and pieces and pieces[-1][1] and between in JOINERS:
            pieces[-1] = (pieces[-1][0] + between + word, True)  # one phrase: GPT-4
        else:
            pieces += [(between, False), (word, is_hit)]
        end = stop
    pieces.append((text[end:], False))
    return tuple(_joined(pieces))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[tuple[tuple[int, int, str], ...], tuple[tuple[str, str], ...]]:
    """The text's words (start, end, word) and their tokens as the matcher sees them."""
    words = tuple((found.start(), found.end(), found.group()) for found in WORD.finditer(text))
    return words, tuple(_token(word) for _, _, word in words)


# One line against one text, kept: a digest's lines come in many combinations (a reader's
# matched lines), but each (paper, line) pair recurs across thousands of readers.
@lru_cache(maxsize=65536)
def _line_hits(text: str, line: str, field: str) -> frozenset[int]:
    """The positions of the text's words that the line's positive terms find."""
    try:
        terms = parse_line(line).positives
    except FilterError:
        return frozenset()
    _, tokens = _words(text)
    hits: set[int] = set()
    for term in terms:
        if term.field not in FIELDS[field] or not term.slots:
            continue
        for start in phrase_starts(list(tokens), term.slots):
            hits.update(range(start, start + len(term.slots)))
    return frozenset(hits)


def _token(word: str) -> tuple[str, str]:
    """A word of the text as the matcher sees it (lowercased, stemmed); folding a word can
    split it (½ is 1⁄2): such a word is never marked."""
    found = tokenize(word)
    return found[0] if len(found) == 1 else ("", "")


def _joined(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Neighbouring unmarked pieces as one, empty ones left out."""
    joined: list[tuple[str, bool]] = []
    for piece, is_hit in pieces:
        if not piece:
            continue
        if joined and not is_hit and not joined[-1][1]:
            joined[-1] = (joined[-1][0] + piece, False)
        else:
            joined.append((piece, is_hit))
    return joined
