"""The filter language (docs/filters.md): normalization, and parsing one interest line.

Pure: no models, no settings. Every place that takes interest lines from a person (the
signup and preferences forms, the admin, the import, the live preview) checks them with
`validate_interest_lines`, so a bad line gets the same message everywhere; the matcher
compiles what `parse_line` returns. Normalization is the same for paper text and queries,
so both go through `tokenize`.
"""

import re
import unicodedata
from collections.abc import Iterable
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
    if text.isascii():  # most text: nothing to decompose
        return text
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
    """One interest line: every group must match, no negative term may. A group matches when
    one of its terms does: `a OR b` is a group of two, a term on its own a group of one."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    negatives: tuple[Term, ...]

    @cached_property
    def positives(self) -> tuple[Term, ...]:
        """Every term the line looks for, alternatives included, in the order written."""
        return tuple(term for group in self.groups for term in group)

    @cached_property
    def key(self) -> tuple:
        """Lines that mean the same (`LLMs` and `llm`, `a OR b` and `b OR a`, `a a` and `a`)
        share a key and are evaluated once."""
        groups = {tuple(sorted({term.key for term in group})) for group in self.groups}
        return tuple(sorted(groups)), tuple(sorted({term.key for term in self.negatives}))


def validate_interest_lines(text: str) -> str:
    """A textarea of interest lines as it is stored: each line with single spaces, blank lines
    dropped. The one check behind the forms, the admin, the import and the live preview, so
    a bad line reads the same in each: a line on its own is named by its text, one of
    several by its number too. Raises FilterError."""
    return "\n".join(query.text for query in parse_lines(text))


def parse_lines(text: str) -> list[Query]:
    """Every non-blank line of a textarea; the first bad line raises (with its number when
    there are several)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise FilterError(f"At most {MAX_LINES} lines, please; you have {len(lines)}.")
    queries = []
    for number, line in enumerate(lines, start=1):
        try:
            queries.append(parse_line(line))
        except FilterError as error:
            if len(lines) == 1:
                raise
            raise FilterError(f"Line {number}: {error}") from None
    return queries


@lru_cache(maxsize=4096)  # the same lines recur: an import's rows, the forms, the matcher
def parse_line(line: str) -> Query:
    text = " ".join(line.split())
    if not text:
        raise FilterError("The line is empty.")
    if len(text) > MAX_LINE_LENGTH:
        raise FilterError(f"A line can be at most {MAX_LINE_LENGTH} characters; "
                          f"this one has {len(text)}.")
    groups, negatives = _grouped(list(_items(text.translate(SMART_QUOTES))))
    if not groups:
        raise FilterError(f"“{text}” only excludes; add at least one word to look for.")
    return Query(text=text, groups=groups, negatives=negatives)


OR = "OR"  # upper case, on its own between two terms: either of them will do
OR_EXAMPLE = 'as in diffusion OR "flow matching"'
BARE_END = re.compile(r'[ "]')  # a space or a quote ends a term written without quotes


def _grouped(items: list[Term | str]) -> tuple[tuple[tuple[Term, ...], ...], tuple[Term, ...]]:
    """The line's positive terms as AND-ed groups (OR joins neighbours into one), and its
    exclusions."""
    groups: list[list[Term]] = []
    negatives: list[Term] = []
    for i, item in enumerate(items):
        if not isinstance(item, Term):
            _check_or(before=items[i - 1] if i else None,
                      after=items[i + 1] if i + 1 < len(items) else None)
        elif item.negated:
            negatives.append(item)
        elif i and not isinstance(items[i - 1], Term):
            groups[-1].append(item)  # _check_or saw a positive term before this OR
        else:
            groups.append([item])
    return tuple(map(tuple, groups)), tuple(negatives)


def _check_or(*, before: Term | str | None, after: Term | str | None) -> None:
    if before is None:
        raise FilterError(f"“OR” cannot start a line: put it between two things to look for, "
                          f"{OR_EXAMPLE}.")
    if after is None:
        raise FilterError(f"“OR” cannot end a line: put it between two things to look for, "
                          f"{OR_EXAMPLE}.")
    if not isinstance(after, Term):
        raise FilterError(f"“OR OR”: OR twice in a row; put one OR between two things to look "
                          f"for, {OR_EXAMPLE}.")
    for term, written in ((before, f"{before.text} OR"), (after, f"OR {after.text}")):
        if term.negated:
            raise FilterError(f"“{written}”: OR cannot join an exclusion; write the exclusion "
                              f"on its own, {OR_EXAMPLE} -robotics.")


def _items(text: str):
    """The line's terms in order, and OR where it stands on its own."""
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
                word_start = text.rfind(" ", 0, position) + 1
                raise FilterError(f"“{text[word_start:]}” has a quote that is never closed.")
            raw, quoted, position = text[position + 1:end], True, end + 1
        else:
            end = BARE_END.search(text, position)
            end = len(text) if end is None else end.start()
            raw, quoted, position = text[position:end], False, end
            if (raw == OR and field == ANY and not negated
                    and (position == len(text) or text[position] == " ")):
                yield OR
                continue
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


def author_line(name: str) -> str:
    """An author to follow is the line author:"Full Name"."""
    return f'author:"{name.replace(chr(34), "")}"'


def reader_lines(*, interests: str, authors: str) -> tuple[str, ...]:
    """A reader's own lines, as the matcher takes them: each interest line, then an
    author:"..." line per author they follow (one name per line of `authors`)."""
    lines = typed_lines(interests.splitlines())
    if not authors:  # most readers: the matcher reads a million in a run
        return lines
    return lines + author_lines(authors)


def typed_lines(lines: Iterable[str]) -> tuple[str, ...]:
    """Lines as typed, as the matcher takes them: stripped, and a blank one is no line."""
    return tuple(filter(None, map(str.strip, lines)))


def author_lines(authors: str) -> tuple[str, ...]:
    """An author:"..." line per author followed (one name per line of `authors`)."""
    return tuple(map(author_line, typed_lines(authors.splitlines())))
