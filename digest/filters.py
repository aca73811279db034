"""The filter language (shared/FILTERS.md): normalization, and parsing one interest line.

Pure: no models, no settings. The signup form validates lines with `parse_lines`; the
matcher compiles what `parse_line` returns. Normalization is the same for paper text
and queries, so both go through `tokenize`.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import Stemmer

MAX_LINES = 20
MAX_LINE_LENGTH = 200
FIELDS = ("title", "author", "cat")
ANY = "any"  # title, abstract and AI keywords

WORD = re.compile(r"[^\W_]+")  # maximal runs of letters and digits
CATEGORY = re.compile(r"[a-z][a-z-]*(\.[a-z][a-z-]*)?", re.IGNORECASE)  # cs.CL, hep-th, q-bio.NC
FIELD_PREFIX = re.compile(r"(title|author|cat):", re.IGNORECASE)
UNKNOWN_FIELD = re.compile(r"([^\W\d_]+):(?=\S)")
VOWELS = frozenset("aeiouAEIOU")
SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                              "\u00bb": '"'})

_stemmer = Stemmer.Stemmer("english")  # Snowball English, i.e. Porter2


class FilterError(ValueError):
    """A line that cannot be used, with a message meant for the reader who typed it."""


# --- Normalization ------------------------------------------------------------------------


def fold(text: str) -> str:
    """Unicode NFKD with combining marks dropped: Schrödinger -> Schrodinger."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def drop_plural_s(word: str) -> str:
    """LLMs, GPUs, SAEs (capitals or digits + s) and llms, cnns (consonants or digits + s)."""
    if len(word) < 3 or word[-1] not in "sS":
        return word
    head = word[:-1]
    if word[-1] == "s" and all(char.isdigit() or char.isupper() for char in head):
        return head
    if all(char.isdigit() or (char.isalpha() and char not in VOWELS) for char in head):
        return head
    return word


@lru_cache(maxsize=200_000)
def stem(lowered: str) -> str:
    return _stemmer.stemWord(lowered)


@lru_cache(maxsize=200_000)
def _normal(word: str) -> tuple[str, str]:
    lowered = drop_plural_s(word).lower()
    return lowered, stem(lowered)


def tokenize(text: str) -> list[tuple[str, str]]:
    """Each word of `text` as (lowercased word before stemming, stem)."""
    return [_normal(word) for word in WORD.findall(fold(text))]


# --- Parsed lines -----------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing a line looks for (or excludes).

    `slots` is a sequence of adjacent words: ("stem", s) matches a word whose stem is s,
    ("prefix", p) a word whose lowercased form starts with p. One slot is a word, several
    a phrase. A category term has no slots and a lowercased `category`.
    """

    field: str  # ANY, "title", "author" or "cat"
    slots: tuple[tuple[str, str], ...] = ()
    category: str = ""
    negated: bool = False
    text: str = ""  # as the reader wrote it

    @property
    def key(self) -> tuple:
        return (self.field, self.slots, self.category, self.negated)


@dataclass(frozen=True)
class Query:
    """One interest line: every positive term must match, no negative term may."""

    text: str
    positives: tuple[Term, ...]
    negatives: tuple[Term, ...]

    @cached_property
    def key(self) -> tuple:
        """Lines that mean the same (`LLMs` and `llm`) share a key and are evaluated once."""
        return (tuple(sorted(t.key for t in self.positives)),
                tuple(sorted(t.key for t in self.negatives)))


def parse_lines(text: str) -> list[Query]:
    """Every non-blank line of a textarea; the first bad line raises with its number."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise FilterError(f"At most {MAX_LINES} lines, please; you have {len(lines)}.")
    queries = []
    for number, line in enumerate(lines, start=1):
        try:
            queries.append(parse_line(line))
        except FilterError as error:
            raise FilterError(f"Line {number}: {error}") from None
    return queries


def parse_line(line: str) -> Query:
    text = " ".join(line.split())
    if not text:
        raise FilterError("The line is empty.")
    if len(text) > MAX_LINE_LENGTH:
        raise FilterError(f"A line can be at most {MAX_LINE_LENGTH} characters; "
                          f"this one has {len(text)}.")
    terms = list(_terms(text.translate(SMART_QUOTES)))
    positives = tuple(term for term in terms if not term.negated)
    negatives = tuple(term for term in terms if term.negated)
    if not positives:
        raise FilterError(f"“{text}” only excludes; add at least one word to look for.")
    return Query(text=text, positives=positives, negatives=negatives)


def _terms(text: str):
    position = 0
    while position < len(text):
        if text[position] == " ":
            position += 1
            continue
        start = position
        negated = text[position] == "-" and position + 1 < len(text) and text[position + 1] != " "
        if negated:
            position += 1
        field = ANY
        named = FIELD_PREFIX.match(text, position)
        if named:
            field, position = named.group(1).lower(), named.end()
        else:
            unknown = UNKNOWN_FIELD.match(text, position)
            if unknown:
                raise FilterError(f"“{unknown.group(1)}:” is not a field; use title:, author: "
                                  f"or cat:, or put the words in quotes.")
        if position < len(text) and text[position] == '"':
            end = text.find('"', position + 1)
            if end == -1:
                raise FilterError(f"“{text[start:]}” has a quote that is never closed.")
            raw, quoted, position = text[position + 1:end], True, end + 1
        else:
            end = text.find(" ", position)
            end = len(text) if end == -1 else end
            raw, quoted, position = text[position:end], False, end
        yield _term(raw, field=field, negated=negated, quoted=quoted, written=text[start:position])


def _term(raw: str, *, field: str, negated: bool, quoted: bool, written: str) -> Term:
    if not raw.strip():
        raise FilterError(f"“{written}” needs something to look for after it.")
    if field == "cat":
        category = raw.strip()
        if not CATEGORY.fullmatch(category):
            raise FilterError(f"“{written}”: cat: takes an arXiv category such as cs.CL.")
        return Term(field=field, category=category.lower(), negated=negated, text=written)
    is_prefix = not quoted and raw.endswith("*")
    words = tokenize(raw.rstrip("*") if is_prefix else raw)
    if not words:
        raise FilterError(f"“{written}” has no letters or digits to look for.")
    slots = [("stem", stemmed) for _, stemmed in words]
    if is_prefix:
        slots[-1] = ("prefix", words[-1][0])
    return Term(field=field, slots=tuple(slots), negated=negated, text=written)
