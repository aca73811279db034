"""CLI benchmark: `manage.py send_digests --dry-run` timed as an operator runs it, against N
synthetic readers and a 1,000-paper edition in a database of its own.

    python -m digest.devtools.bench_cli --subscribers 100000 1000000

Per N: the readers' distinct-line mix, the dry run's wall time and peak memory (median of
--runs), Django's bare start (`manage.py check`) and the difference, and the per-reader
reference loop timed on a sample of the stored readers and scaled up (the sample's digest
sizes are checked against the dry run's). Each N has a database of its own, recreated: the
PostgreSQL database paperboy_bench_cli_N, or with --sqlite the file
var/bench_cli/paperboy-N.sqlite3. --keep reuses one that holds N readers already.
"""

import argparse
import datetime
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "bench_cli"
DATABASE = "paperboy_bench_cli"
EDITION = datetime.date(2026, 11, 20)  # a Friday: daily readers only
ENV = {
    "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "https://paperboy.example.org", "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING", "PAPERBOY_VAR_DIR": str(VAR),
}


def database(subscribers: int, sqlite: bool) -> tuple[str, str]:
    """(name, URL) of N's database."""
    if sqlite:
        name = str(VAR / f"paperboy-{subscribers}.sqlite3")
        return name, f"sqlite:///{name}"
    name = f"{DATABASE}_{subscribers}"
    return name, f"postgres://postgres@127.0.0.1:5432/{name}"


def use_database(subscribers: int, sqlite: bool) -> str:
    """Point this process and the commands it runs at N's database; its name."""
    from django.db import connections

    name, os.environ["DATABASE_URL"] = database(subscribers, sqlite)
    connections.close_all()
    connections["default"].settings_dict["NAME"] = name
    return name


def recreate_database(name: str, sqlite: bool) -> None:
    from django.db import connections

    connections.close_all()
    if sqlite:
        for path in VAR.glob(f"{Path(name).name}*"):
            path.unlink()
    else:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                   cwd=ROOT, env=os.environ, check=True)


def split_lines(lines: tuple[str, ...]) -> tuple[str, str]:
    """A synthetic reader's lines as stored: (interests, authors followed)."""
    followed = [line for line in lines if re.fullmatch(r'author:"[^"]+"', line)
                and " " in line]
    interests = [line for line in lines if line not in followed]
    return "\n".join(interests), "\n".join(line[8:-1] for line in followed)


def load(readers: list, papers: int) -> None:
    """The edition's papers (featured the day before) and the readers, with topics."""
    from django.db import connection
    from django.utils import timezone

    from digest.devtools import synthetic
    from digest.devtools.bench_daily import readers_topics_store
    from digest.models import Paper
    from subscriptions.models import Subscriber, Topic

    day = EDITION - datetime.timedelta(days=1)
    Paper.objects.bulk_create([
        Paper(arxiv_id=f"2611.{doc.key:05d}", title=doc.title, abstract=doc.abstract,
              authors=list(doc.authors), categories=list(doc.categories),
              ai_keywords=list(doc.keywords), upvotes=doc.upvotes, featured_on=day)
        for doc in synthetic.papers(papers)], batch_size=1000)
    now = timezone.now()
    for start in range(0, len(readers), 50_000):
        rows = []
        for reader in readers[start:start + 50_000]:
            interests, authors = split_lines(reader.lines)
            rows.append(Subscriber(
                email=f"reader{reader.key}@example.org", status="active", timezone="UTC",
                interests=interests, authors=authors, papers_per_email=reader.limit,
                min_upvotes=reader.min_upvotes, token=f"bench-{reader.key:08d}",
                consent_at=now))
        Subscriber.objects.bulk_create(rows, batch_size=5000)
    readers_topics_store(readers, rng=random.Random(3),
                         slugs=list(Topic.objects.values_list("slug", flat=True)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def loaded(subscribers: int) -> bool:
    from django.db.utils import DatabaseError

    from subscriptions.models import Subscriber

    try:
        return Subscriber.objects.count() == subscribers
    except DatabaseError:
        return False


def timed(command: list[str], output: Path) -> tuple[float, float, str, float]:
    """(wall seconds, peak MB, last line of output, CPU seconds) of a manage.py command."""
    with output.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "manage.py", *command], cwd=ROOT,
                                   env=os.environ, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    with output.open("rb") as out:
        out.seek(max(0, output.stat().st_size - 500))
        last = out.read().decode(errors="replace").strip().splitlines()[-1]
    return wall, usage.ru_maxrss / 1024, last, usage.ru_utime + usage.ru_stime


def reference_loop(sample: int, output: Path) -> tuple[float, int, int]:
    """(seconds per reader, readers agreeing, readers sampled): the per-reader reference
    loop on every so-many stored reader, against the edition's papers; a reader agrees
    when the dry run printed the same number of papers for them."""
    from digest.devtools.reference_matcher import rank_for_reader
    from digest.editions.due import edition_window
    from digest.match.inputs import paper_docs, papers_between, reader_batches, topic_lines
    from subscriptions.models import Subscriber

    since, until = edition_window(edition=EDITION, frequency="daily")
    docs = paper_docs(papers_between(since=since, until=until))
    ids = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))
    picked = ids[::max(1, len(ids) // sample)][:sample]
    [(addresses, rows)] = reader_batches(Subscriber.objects.filter(pk__in=picked),
                                         paper_keys=[doc.key for doc in docs], size=sample)
    readers = [rows.reader(row) for row in range(len(rows.keys))]
    emails = dict(zip(rows.keys, addresses, strict=True))
    topics = topic_lines()
    started = time.perf_counter()
    counts = {reader.key: len(rank_for_reader(reader, docs, topics)) for reader in readers}
    seconds = (time.perf_counter() - started) / len(readers)
    printed = {}
    wanted = {emails[key]: key for key in counts}
    pattern = re.compile(r"^\S+ (\S+): (\d+) papers$|^\S+ (\S+): no matches, skipped$")
    with output.open() as lines:
        for line in lines:
            found = pattern.match(line.rstrip("\n"))
            if found and (found[1] or found[3]) in wanted:
                printed[wanted[found[1] or found[3]]] = int(found[2] or 0)
    agree = sum(printed.get(key) == count for key, count in counts.items())
    return seconds, agree, len(readers)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--sample", type=int, default=50,
                        help="readers run through the per-reader loop (scaled up linearly)")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database if it holds N readers already")
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    os.environ.update(ENV, DATABASE_URL=database(args.subscribers[0], args.sqlite)[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from digest.devtools import synthetic

    load_average = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"CLI benchmark: {os.cpu_count()} cores (load average {load_average}), "
          f"{'SQLite' if args.sqlite else 'PostgreSQL'}, {args.papers:,} papers; medians of "
          f"{args.runs} runs; per-reader loop on {args.sample} readers, scaled.", flush=True)
    header = ("| readers | dry run s | Django start s | beyond start s | CPU beyond start s | "
              "peak MB | "
              "per-reader loop s (scaled) | speed-up | sample agrees |")
    rows = []
    for subscribers in args.subscribers:
        readers = synthetic.readers(subscribers)
        print(f"\nN = {subscribers:,}: {synthetic.line_mix(readers)}", flush=True)
        name = use_database(subscribers, args.sqlite)
        if not (args.keep and loaded(subscribers)):
            recreate_database(name, args.sqlite)
            started = time.perf_counter()
            load(readers, args.papers)
            print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
        del readers
        output = VAR / f"dry-run-{subscribers}.txt"
        runs = [timed(["send_digests", "--dry-run", "--date", EDITION.isoformat()], output)
                for _ in range(args.runs)]
        starts = [timed(["check"], VAR / "check.txt") for _ in range(args.runs)]
        wall = statistics.median(run[0] for run in runs)
        start = statistics.median(run[0] for run in starts)
        peak = max(run[1] for run in runs)
        cpu = statistics.median(run[3] for run in runs) - statistics.median(
            run[3] for run in starts)
        print(f"  dry runs: {', '.join(f'{run[0]:.2f}' for run in runs)} s "
              f"(CPU {', '.join(f'{run[3]:.2f}' for run in runs)} s); check: "
              f"{', '.join(f'{run[0]:.2f}' for run in starts)} s (CPU "
              f"{', '.join(f'{run[3]:.2f}' for run in starts)} s); {runs[-1][2]}; load "
              f"average {os.getloadavg()[0]:.2f}", flush=True)
        per_reader, agree, sampled = reference_loop(args.sample, output)
        loop = per_reader * subscribers
        rows.append(f"| {subscribers:,} | {wall:.2f} | {start:.2f} | {wall - start:.2f} | "
                    f"{cpu:.2f} | {peak:,.0f} | {loop:,.0f} | "
                    f"{loop / max(wall - start, 1e-9):,.0f}x | {agree}/{sampled} |")
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
