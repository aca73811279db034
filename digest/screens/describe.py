"""Records told in words, for the operators' screens: what an ingest run asked for, why a
paper went into a digest."""

from pathlib import PurePath

from digest.deliver.why import readable_line
from digest.models import IngestRun

FILES_NAMED = 3  # file names an ingest run's description lists before "and N more"


def ingest_request_text(run: IngestRun) -> str:
    """What it asked, in words: "Hugging Face, the day 2026-11-20", "arXiv cs.LG, cs.CL
    (new, cross)", "2 files: hf_day.json, arxiv.xml"."""
    asked = run.request if isinstance(run.request, dict) else {}
    if run.source == IngestRun.Source.HF:
        if asked.get("date"):
            return f"Hugging Face, the day {asked['date']}"
        if asked.get("week"):
            return f"Hugging Face, the week {asked['week']}"
        return "Hugging Face, trending"
    if run.source == IngestRun.Source.ARXIV:
        kinds = f" ({', '.join(asked['keep'])})" if asked.get("keep") else ""
        return f"arXiv {', '.join(asked.get('categories') or ['(default categories)'])}{kinds}"
    names = [PurePath(str(path)).name for path in asked.get("files") or []]
    more = f" and {len(names) - FILES_NAMED} more" if len(names) > FILES_NAMED else ""
    count = f"{len(names)} file{'s' if len(names) != 1 else ''}"
    return f"{count}: {', '.join(names[:FILES_NAMED])}{more}"


def reasons_text(matched: object) -> str:
    """Why a paper went into a digest, for an operator: each interest line read as a phrase
    (as the reader's mail says it) with the words it found, or what a recommendation was
    close to."""
    told = []
    for reason in matched if isinstance(matched, list) else [matched]:
        if not isinstance(reason, dict):
            told.append(str(reason))
        elif reason.get("recommended"):
            because = reason.get("because") or {}
            told.append(f"recommended, close to {because['arxiv_id']}" if because.get("arxiv_id")
                        else "recommended")
        else:
            words = ", ".join(reason.get("words") or [])
            line = readable_line(reason["line"]) if reason.get("line") else "?"
            told.append(line + (f" (matched {words})" if words else ""))
    return "; ".join(told) or "–"
