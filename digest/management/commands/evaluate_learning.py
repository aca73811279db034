"""python manage.py evaluate_learning: the learned ranking against keyword filters and TF-IDF +
Rocchio on the labelled evaluation set, editions replayed day by day (digest.learn.evaluation).
Needs no database."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from config.commands import BaseCommand
from digest.learn.embedding import MAX_TOKENS
from digest.learn.evaluation import (
    LIMIT,
    METHODS,
    READER_KINDS,
    Replay,
    eval_set_load,
    evaluation_run,
    methods_readers,
    tallies_by,
)

DATA = Path(settings.BASE_DIR) / "tests" / "data" / "eval"


class Command(BaseCommand):
    help = ("Replay the evaluation set's editions day by day for simulated readers (a topic's "
            "description, seed papers or keyword lines) who click More like this on relevant "
            "papers and Less like this on the others, and print the precision and recall of "
            "what each method sent. -v 2 adds a table per topic.")

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, default=DATA,
                            help="the evaluation set's folder (default: tests/data/eval)")
        parser.add_argument("--topics", nargs="+", metavar="SLUG",
                            help="only these topics (default: all)")
        parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS,
                            help=f"MiniLM's word pieces per paper (default {MAX_TOKENS}, "
                                 f"as stored)")
        parser.add_argument("--limit", type=int, default=LIMIT,
                            help=f"papers per edition at most (default {LIMIT}, the sign-up "
                                 f"form's)")
        parser.add_argument("--no-cache", action="store_true",
                            help="embed the papers again rather than read var/eval/")

    def handle(self, *args, data, topics, max_tokens, limit, no_cache, **options):
        if not 8 <= max_tokens <= 512:
            raise CommandError("--max-tokens must be between 8 and 512 (MiniLM's positions)")
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        try:
            evaluation = eval_set_load(directory=data)
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"cannot read the evaluation set in {data}: {error}") from None
        unknown = sorted(set(topics or ()) - set(evaluation.topics))
        if unknown:
            raise CommandError(f"unknown topic {', '.join(unknown)}; the set has "
                               f"{', '.join(evaluation.topics)}")
        slugs = list(topics or evaluation.topics)

        started = time.perf_counter()
        replay = Replay(evaluation, max_tokens=max_tokens, limit=limit,
                        cache_dir=None if no_cache else Path(settings.VAR_DIR) / "eval")
        embedded = time.perf_counter()
        self.stdout.write(f"MiniLM vectors at {max_tokens} word pieces: "
                          f"{embedded - started:.1f} s")
        results = evaluation_run(replay=replay, topics=slugs)
        replayed = time.perf_counter()
        self.stdout.write(f"Replay: {replayed - embedded:.1f} s\n")

        days = replay.editions
        self.stdout.write(
            f"{len(slugs)} topics x {len(days)} editions ({days[0]} to {days[-1]}), at most "
            f"{limit} papers each; a reader votes on everything sent before the next edition.\n")
        by_kind = tallies_by(results, key=lambda method, kind, slug: (method, kind))
        by_method = tallies_by(results, key=lambda method, kind, slug: (method,))
        self.table("Precision of what was sent (mean over mails; an empty edition is no mail)",
                   by_kind, by_method, lambda tally: _figure(tally.precision))
        self.table("Recall (relevant papers sent / relevant papers listed)",
                   by_kind, by_method, lambda tally: _figure(tally.recall))
        self.table("Mails (non-empty editions) and papers sent",
                   by_kind, by_method, lambda tally: f"{tally.mails} / {tally.sent}")
        if options["verbosity"] >= 2:
            self.topics_table(results, slugs)

    def table(self, title: str, by_kind: dict, by_method: dict, cell) -> None:
        self.stdout.write(f"{title}:\n")
        self.stdout.write("| method | " + " | ".join(READER_KINDS) + " | all readers |")
        self.stdout.write("|---" * (len(READER_KINDS) + 2) + "|")
        for method, name in METHODS.items():
            cells = [cell(by_kind[method, kind]) if kind in methods_readers(method) else "-"
                     for kind in READER_KINDS]
            self.stdout.write(f"| {name} | " + " | ".join(cells)
                              + f" | {cell(by_method[(method,)])} |")
        self.stdout.write("")

    def topics_table(self, results: dict, slugs: list[str]) -> None:
        columns = [(method, kind) for method in METHODS for kind in methods_readers(method)]
        self.stdout.write("Precision per topic (recall in brackets):\n")
        self.stdout.write("| topic | " + " | ".join(f"{METHODS[m]}, {k}" for m, k in columns)
                          + " |")
        self.stdout.write("|---" * (len(columns) + 1) + "|")
        for slug in slugs:
            cells = [f"{_figure(results[m, k, slug].precision)} "
                     f"({_figure(results[m, k, slug].recall)})" for m, k in columns]
            self.stdout.write(f"| {slug} | " + " | ".join(cells) + " |")
        self.stdout.write("")


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"

