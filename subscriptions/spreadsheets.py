"""CSV for operators, safe to open in a spreadsheet.

A cell that starts with = + - @, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets: a value typed into the public form (`=HYPERLINK(...)`) would run in the
operator's spreadsheet. Such cells get a leading apostrophe, which spreadsheets show as
text (OWASP's advice); the import takes it off again, so an export imports back unchanged.
"""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell_restore(text: str) -> str:
    """A cell as cell_safe wrote it, back to its value."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer writes to this, and gets back the line it wrote."""

    def write(self, value: str) -> str:
        return value


def csv_response(*, filename: str, header: list[str],
                 rows: Iterable[list[object]]) -> StreamingHttpResponse:
    """Streamed row by row: an export of a million readers never sits in memory."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([cell_safe(value) for value in row])
             for row in _with_header(header, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header: list[str], rows: Iterable[list[object]]):
    yield header
    yield from rows
