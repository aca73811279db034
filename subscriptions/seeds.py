"""Seed papers: the arXiv papers a reader names to say what they follow, written as ids or
URLs, or taken from a BibTeX or Zotero (CSL-JSON) export of their library. Pure: text in,
arXiv ids out, or one sentence saying what is wrong."""

import json
import re

MAX_SEEDS = 50
# New-style ids (2508.13426, with an optional version) and old-style ones (hep-th/9901001).
NEW_ID = r"\d{4}\.\d{4,5}"
OLD_ID = r"[a-z][a-z.-]*/\d{7}"
ARXIV_ID = re.compile(rf"(?:{NEW_ID}|{OLD_ID})", re.IGNORECASE)
# An id as a reader may write it: bare, "arXiv:" before it, or inside an arxiv.org or
# Hugging Face papers URL (abs, pdf, html), with or without a version.
WRITTEN = re.compile(
    rf"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    rf"|https?://(?:www\.)?huggingface\.co/papers/)?(?P<id>{NEW_ID}|{OLD_ID})"
    rf"(?:v\d+)?(?:\.pdf)?/?$", re.IGNORECASE)
# Inside an export: an arXiv id named as such (eprint field, arXiv: prefix, arxiv.org URL,
# arXiv's DOI 10.48550/arXiv.ID).
IN_EXPORT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:\s.]\s*|10\.48550/arxiv\.|eprint\s*=\s*[{{\"]\s*)"
    rf"(?P<id>{NEW_ID}|{OLD_ID})", re.IGNORECASE)


class SeedError(ValueError):
    """Seeds that cannot be used, with a message for the reader who wrote them."""


def seeds_parse(text: str) -> list[str]:
    """Ids or URLs, one per line (or separated by spaces or commas), as a textarea holds them;
    duplicates dropped, order kept."""
    ids: list[str] = []
    for written in re.split(r"[\s,;]+", text.strip()):
        if not written:
            continue
        found = WRITTEN.match(written)
        if found is None:
            shown = written if len(written) <= 60 else written[:59] + "…"
            raise SeedError(f"“{shown}” is not an arXiv id or link (such as 2508.13426 or "
                            f"https://arxiv.org/abs/2508.13426).")
        ids.append(found["id"].lower())
    return _bounded(ids)


def seeds_from_export(text: str) -> list[str]:
    """The arXiv papers of a BibTeX file or a Zotero CSL-JSON export: every id the entries
    name as an arXiv id (other references are skipped). Raises SeedError when none is."""
    if text.lstrip().startswith(("[", "{")):
        try:
            entries = json.loads(text)
        except json.JSONDecodeError:
            raise SeedError("The file looks like JSON but cannot be read; export your "
                            "library from Zotero as CSL JSON.") from None
        text = json.dumps(entries)  # every field of every entry, as one text to search
    ids = [found["id"].lower() for found in IN_EXPORT.finditer(text)]
    if not ids:
        raise SeedError("No arXiv paper found in the file: its entries name no arXiv id "
                        "(an eprint field, an arxiv.org link or an arXiv DOI).")
    return _bounded(ids)


def _bounded(ids: list[str]) -> list[str]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_SEEDS:
        raise SeedError(f"At most {MAX_SEEDS} seed papers, please; you have {len(unique)}.")
    return unique
