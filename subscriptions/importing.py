"""Reading a list of subscribers from a CSV file, every row held to the signup form's rules.

Reading and checking write nothing: a file that cannot be used is refused whole (ImportFileError),
a bad row is set aside with its line and the reason, and only the rows left are written
(consent.subscribers_import, a batch at a time).
"""

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from subscriptions.forms import ImportedRowForm
from subscriptions.models import Topic, email_normalize
from subscriptions.services import Preferences
from subscriptions.spreadsheets import cell_restore

REQUIRED = ("email",)
OPTIONAL = ("interests", "topics", "frequency", "timezone", "send_hour", "authors",
            "min_upvotes", "papers_per_email", "description", "seed_papers")
COLUMNS = REQUIRED + OPTIONAL
SEPARATED = ("interests", "authors", "seed_papers")  # the form's text boxes; here split on ;
HOUR = re.compile(r"(\d{1,2})(:00)?")  # 8, 08 or 08:00, as the signup form shows hours


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message is one line for the operator."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    preferences: Preferences


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportCheck:
    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def columns_described() -> str:
    return f"{', '.join(REQUIRED)} (required), {', '.join(OPTIONAL)}"


def import_file_check(*, path: Path, progress: Callable[[], object] = lambda: None
                      ) -> ImportCheck:
    """Every row of a CSV file checked (import_rows_check), read as it is checked;
    `progress` is called after each row. Raises ImportFileError for a file that cannot be
    imported: unreadable, not UTF-8 CSV, no header or no rows, no email column, a column
    twice, or a column this import does not know (a misspelt one would lose its data
    silently)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            records = _records(csv.reader(file))
            header = _header_check(path, next(records, None))
            check = import_rows_check(header=header, rows=records, progress=progress)
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ImportFileError(f"{path} is not a UTF-8 CSV file: {error}") from None
    except csv.Error as error:
        raise ImportFileError(f"{path} is not a CSV file this import can read: {error}") from None
    if not check.rows and not check.rejected:
        raise ImportFileError(f"{path} has a header row but no subscribers")
    return check


def _header_check(path: Path, record: tuple[int, list[str]] | None) -> list[str]:
    """The column names, lowercased."""
    if record is None:
        raise ImportFileError(f"{path} is empty: it needs a header row naming its columns "
                              f"({columns_described()}), then one row per subscriber")
    header = [name.strip().lower() for name in record[1]]
    found = ", ".join(repr(name) for name in header)
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"{path} has no {' or '.join(missing)} column (its columns: "
                              f"{found}); the columns it may have: {columns_described()}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"{path} has columns this import does not know: "
            f"{', '.join(repr(name) for name in unknown)}; the columns it may have: "
            f"{columns_described()}. Rename or remove them; nothing was imported.")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ImportFileError(f"{path} has the column {', '.join(twice)} more than once")
    return header


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record and the line it starts on (a quoted cell may span lines)."""
    line = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            yield line, record
        line = reader.line_num + 1


def import_rows_check(*, header: list[str], rows: Iterable[tuple[int, list[str]]],
                      progress: Callable[[], object] = lambda: None) -> ImportCheck:
    """Each row checked as the signup form checks what a visitor types, topics named by slug;
    a bad row, or an address met earlier in the file, is rejected with its reason."""
    topics = {topic.slug: topic for topic in ImportedRowForm.TOPICS.all()}
    form = ImportedRowForm(data={})
    defaults = {name: form_field.initial for name, form_field in
                ImportedRowForm.base_fields.items() if form_field.initial is not None}
    check, seen = ImportCheck(), {}
    for line, record in rows:
        progress()
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header):]):
            check.rejected.append(RejectedRow(line, f"{len(record)} cells, but the header names "
                                                    f"{len(header)} columns"))
            continue
        # A cell our own export protected from spreadsheets (a leading ') reads back as it was.
        cells = {name: cell_restore(value.strip())
                 for name, value in zip(header, record, strict=False)}
        result = _row_check(line, cells, form=form, topics=topics, defaults=defaults)
        if isinstance(result, ImportRow):
            first = seen.setdefault(email_normalize(result.email), line)
            if first != line:
                result = RejectedRow(line, f"{result.email} is on line {first} already")
        (check.rows if isinstance(result, ImportRow) else check.rejected).append(result)
    return check


def _row_check(line: int, cells: dict[str, str], *, form: ImportedRowForm,
               topics: dict[str, Topic], defaults: dict) -> ImportRow | RejectedRow:
    slugs = [slug.strip() for slug in cells.get("topics", "").split(";") if slug.strip()]
    unknown = [slug for slug in slugs if slug not in topics]
    reasons = [f"topics: no topic {_shown(unknown[0])} (the topics: "
               f"{', '.join(sorted(topics)) or 'none yet'})"] if unknown else []
    data = dict(defaults)
    for name, value in cells.items():
        if not value or name == "topics":
            continue  # a blank cell: the form's default, as a visitor who leaves it alone
        if name in SEPARATED:
            value = "\n".join(part.strip() for part in value.split(";") if part.strip())
        elif name == "frequency":
            value = value.lower()
        elif name == "send_hour" and (hour := HOUR.fullmatch(value)):
            value = str(int(hour.group(1)))
        data[name] = value
    form.rebind(data)
    if not form.is_valid():
        reasons[:0] = [f"{name} {_shown(cells.get(name, ''))}: {' '.join(messages).rstrip('.')}"
                       for name, messages in form.errors.items()]
    if reasons:
        return RejectedRow(line, "; ".join(reasons))
    preferences = form.preferences()
    preferences.topics = [topics[slug] for slug in dict.fromkeys(slugs)]
    return ImportRow(line, form.cleaned_data["email"], preferences)


def _shown(value: str, limit: int = 40) -> str:
    """A cell as the operator can find it in the file: quoted, control characters escaped,
    shortened."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
