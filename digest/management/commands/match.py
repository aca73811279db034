"""python manage.py match 'LINE': which stored papers one interest line matches, and why."""

import json
import re
import sys

from django.core.management.base import CommandError, CommandParser

from config.commands import BaseCommand
from digest.management.commands.ingest import parse_date
from digest.match.index import PaperIndex
from digest.match.inputs import paper_docs, papers_between
from digest.match.matching import match_few
from digest.match.readers import Reader
from digest.models import Paper
from subscriptions.filters import FilterError, parse_line

# Django's own short options: -h, and -v with or without its level (-v2).
SHORT_OPTION = re.compile(r"-h|-v\d*")


class LineParser(CommandParser):
    """Reads an argument that starts with an exclusion (`-robotics`, `-vision`) as the interest
    line, not as an unknown option, so the filter language can say what is wrong with it."""

    def parse_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        cut = args.index("--") if "--" in args else len(args)
        lines = [arg for arg in args[:cut] if is_line(arg)]
        if lines:
            args = [arg for arg in args[:cut] if not is_line(arg)] + ["--", *lines,
                                                                       *args[cut + 1:]]
        return super().parse_args(args, namespace)


def is_line(arg: str) -> bool:
    return (arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
            and not SHORT_OPTION.fullmatch(arg))


class Command(BaseCommand):
    help = ("Show which stored papers an interest line matches, ranked as in a digest, "
            "with the words that matched. The score is 2 for a title hit, 1 otherwise.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = LineParser  # Django builds the parser; this only changes parse_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument("line", help='an interest line, e.g. \'"language model" -robotics\'')
        parser.add_argument("--since", help="first featured or announced day, YYYY-MM-DD")
        parser.add_argument("--until", help="last featured or announced day, YYYY-MM-DD")
        parser.add_argument("--limit", type=int, default=50, help="at most this many (50)")
        parser.add_argument("--json", action="store_true", help="print a JSON array")

    def handle(self, *args, line, since, until, limit, **options):
        try:
            query = parse_line(line)
        except FilterError as error:
            raise CommandError(str(error), returncode=2) from None
        since = parse_date(since, "--since") if since else None
        until = parse_date(until, "--until") if until else None
        papers = papers_between(since=since, until=until)
        index = PaperIndex(paper_docs(papers))
        ranked = match_few([Reader(key=0, lines=(query.text,), limit=limit)], index,
                           topics={}).ranked(0)
        by_key = Paper.objects.in_bulk([paper.key for paper in ranked])
        rows = [
            {"arxiv_id": by_key[paper.key].arxiv_id, "title": by_key[paper.key].title,
             "score": 2 if paper.title_hit else 1, "matched": paper.why[0].words,
             "upvotes": by_key[paper.key].upvotes, "url": by_key[paper.key].url}
            for paper in ranked
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for number, row in enumerate(rows, start=1):
            self.stdout.write(f"{number:3}. {row['arxiv_id']:<12} ▲{row['upvotes']:<4} "
                              f"{row['title']}  [{', '.join(row['matched'])}]")
        self.stdout.write(f"{len(rows)} of {len(index)} papers match “{query.text}”.")
