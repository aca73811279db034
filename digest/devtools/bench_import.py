"""Import and export benchmark: a realistic list of N readers (var/bench-import/) through
`manage.py import_subscribers` on SQLite (a fresh file) and PostgreSQL (database
paperboy_bench_import, made afresh for each run from paperboy_bench_import_template), then
the admin's CSV export of them.

    python -m digest.devtools.bench_import [--rows 100000] [--runs 3] [--databases sqlite ...]

Each step is a child process timed from outside: wall time (Django's start included, also
timed on its own), CPU time, rows per second and the child's peak memory (its largest
resident set, from the kernel). Imports run `--confirmed` (readers, their history entries
and topics written) and without (sign-up requests written, their confirmation mails queued
on Redis database 9 in a queue of their own, counted, then dropped: nothing is sent). The
export streams the admin's action to nothing and times itself (wall and CPU, without Django's
start; its peak memory includes Django's).
Prints each step of each run, then the medians, with the machine's load.
"""

import argparse
import csv
import importlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from digest.devtools.synthetic import CATEGORIES, FIRST, LAST, PHRASES, TERMS

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "bench-import"
DATABASE = "paperboy_bench_import"
REDIS = "redis://127.0.0.1:6379/9"
QUEUE = "bench_import"
ENV = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
       "SITE_URL": "https://paperboy.example.org", "ALLOWED_HOSTS": "paperboy.example.org",
       "SECRET_KEY": "bench-" + "x" * 50, "LOG_LEVEL": "WARNING",
       "PAPERBOY_VAR_DIR": str(VAR)}

TIMEZONES = ["UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles",
             "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Europe/Berlin", "Australia/Sydney"]
DOMAINS = ["example.org", "uni-example.edu", "lab.example.com", "mail.example.net"]
DESCRIPTIONS = [
    "I work on {a} and {b}, mostly how {c} behaves at scale.",
    "Papers on {a} for {b}; I care about {c} more than benchmarks.",
    "My group studies {a}. Anything on {b} or {c} is welcome.",
]


# --- The list ------------------------------------------------------------------------------


def interest_lines(rng: random.Random) -> list[str]:
    """1 to 5 lines as researchers write them: about half the readers quote a phrase; words,
    prefixes, exclusions, fields and categories besides."""
    lines = []
    if rng.random() < 0.5:
        phrase = f'"{rng.choice(PHRASES)}"'
        lines.append(rng.choice([phrase, f"{phrase} {rng.choice(TERMS)}",
                                 f"{phrase} -{rng.choice(TERMS)}"]))
    for _ in range(rng.randint(0 if lines else 1, 4)):
        term = rng.choice(TERMS)
        lines.append(rng.choice([
            term, f"{term} {rng.choice(TERMS)}", f"{term[:5]}*", f"{term} -{rng.choice(TERMS)}",
            f"title:{term}", f"cat:{rng.choice(CATEGORIES)}", f"author:{rng.choice(LAST)}"]))
    return list(dict.fromkeys(lines))


def reader_row(number: int, rng: random.Random, topics: list[str]) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    row = {"email": f"{first}.{last}.{number}@{rng.choice(DOMAINS)}".lower().replace("é", "e")
                    .replace("á", "a"),
           "interests": ";".join(interest_lines(rng)) if rng.random() < 0.9 else "",
           "topics": ";".join(rng.sample(topics, rng.randint(1, 2))) if rng.random() < 0.3 else "",
           "frequency": "weekly" if rng.random() < 0.2 else "daily",
           "timezone": rng.choice(TIMEZONES), "send_hour": str(rng.choice([6, 7, 8, 8, 9, 18])),
           "authors": "", "min_upvotes": rng.choice(["", "", "", "1", "5"]),
           "papers_per_email": rng.choice(["", "", "10", "20"]), "description": "",
           "seed_papers": ""}
    if rng.random() < 0.2:
        row["authors"] = ";".join(f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                                  for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.15:
        a, b, c = rng.sample(PHRASES, 3)
        row["description"] = rng.choice(DESCRIPTIONS).format(a=a, b=b, c=c)
    if rng.random() < 0.05:
        row["seed_papers"] = ";".join(f"2{rng.randint(401, 512):03d}.{rng.randint(1, 20000):05d}"
                                      for _ in range(rng.randint(1, 4)))
    return row


def readers_csv(path: Path, rows: int, *, seed: int = 16) -> None:
    """A list of `rows` distinct readers, the same for the same seed."""
    rng = random.Random(seed)
    seeded = importlib.import_module("subscriptions.migrations.0002_seed_topics")
    topics = [slug for slug, *_ in seeded.TOPICS]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(reader_row(0, rng, topics)))
        writer.writeheader()
        writer.writerows(reader_row(number, rng, topics) for number in range(1, rows + 1))


# --- Timing children -------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    output: str


def timed(command: list[str], env: dict[str, str]) -> Run:
    """Run `command` in the repository, and what the kernel says it took."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n"
                     f"{err.read().decode()[-3000:]}")
        return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                   peak_mb=usage.ru_maxrss / 1024, output=out.read().decode())


def manage(*arguments: str) -> list[str]:
    return [sys.executable, "manage.py", *arguments]


# --- Databases -------------------------------------------------------------------------------


def environment(database: str, *, redis: bool = False) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("DATABASE_URL", "REDIS_URL", "CELERY_QUEUE")}
    env.update(ENV, DATABASE_URL=(f"sqlite:///{VAR / 'bench.sqlite3'}" if database == "sqlite"
                                  else f"postgres://postgres@127.0.0.1:5432/{DATABASE}"))
    if redis:
        env.update(REDIS_URL=REDIS, CELERY_QUEUE=QUEUE)
    return env


def postgres(statement: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as admin:
        admin.execute(statement)


def template_make(database: str) -> None:
    """A migrated, empty database that each run starts from."""
    if database == "sqlite":
        (VAR / "bench.sqlite3").unlink(missing_ok=True)
        subprocess.run(manage("migrate", "--no-input", "-v", "0"), cwd=ROOT, check=True,
                       env=environment(database))
        shutil.move(VAR / "bench.sqlite3", VAR / "template.sqlite3")
    else:
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}_template" WITH (FORCE)')
        postgres(f'CREATE DATABASE "{DATABASE}"')
        subprocess.run(manage("migrate", "--no-input", "-v", "0"), cwd=ROOT, check=True,
                       env=environment(database))
        postgres(f'ALTER DATABASE "{DATABASE}" RENAME TO "{DATABASE}_template"')


def fresh(database: str) -> None:
    if database == "sqlite":
        for leftover in VAR.glob("bench.sqlite3*"):
            leftover.unlink()
        shutil.copy(VAR / "template.sqlite3", VAR / "bench.sqlite3")
    else:
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        postgres(f'CREATE DATABASE "{DATABASE}" TEMPLATE "{DATABASE}_template"')


# --- The steps -------------------------------------------------------------------------------


def import_step(database: str, path: Path, rows: int, *, confirmed: bool) -> dict:
    import redis

    queue = redis.Redis.from_url(REDIS)
    queue.delete(QUEUE)
    fresh(database)
    run = timed(manage("import_subscribers", str(path), *(["--confirmed"] * confirmed)),
                environment(database, redis=not confirmed))
    if not run.output.startswith(f"Added {rows} subscribers"):
        sys.exit(f"the import did not add every row: {run.output}")
    tasks = queue.llen(QUEUE)
    queue.delete(QUEUE, f"_kombu.binding.{QUEUE}", f"_kombu.binding_permanent.{QUEUE}")
    return {"wall": run.wall, "cpu": run.cpu, "peak": run.peak_mb, "rate": rows / run.wall,
            "note": "" if confirmed else f"{tasks} tasks queued"}


def export_step(database: str, rows: int) -> dict:
    """The admin's export of the readers the last --confirmed import wrote."""
    run = timed([sys.executable, "-m", "digest.devtools.bench_import", "--export-child"],
                environment(database))
    exported, size, seconds, cpu = run.output.split()
    if int(exported) != rows:
        sys.exit(f"the export wrote {exported} readers, not {rows}")
    return {"wall": float(seconds), "cpu": float(cpu), "peak": run.peak_mb,
            "rate": rows / float(seconds), "note": f"{int(size) / 1e6:.1f} MB of CSV"}


def export_child() -> None:
    """In the child: stream the admin's export of every reader; print the rows, bytes, and
    the seconds and CPU seconds it took."""
    import django

    django.setup()
    from django.contrib import admin

    from subscriptions.models import Subscriber

    started, cpu = time.perf_counter(), time.process_time()
    response = admin.site.get_model_admin(Subscriber).export_csv(None, Subscriber.objects.all())
    lines = size = 0
    for part in response.streaming_content:
        lines += part.count(b"\n")
        size += len(part)
    print(lines - 1, size, f"{time.perf_counter() - started:.3f}",
          f"{time.process_time() - cpu:.3f}")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


STEPS = ["import --confirmed", "export (admin CSV)", "import, mails queued"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child()
        return 0
    path = VAR / f"readers-{args.rows}.csv"
    readers_csv(path, args.rows)
    print(f"{args.rows:,} readers ({path.stat().st_size / 1e6:.1f} MB of CSV), {args.runs} "
          f"runs, {os.cpu_count()} CPUs, load average {load()}", flush=True)
    start = timed(manage("import_subscribers", "--help"), environment("sqlite"))
    print(f"Django's start alone (import_subscribers --help): {start.wall:.1f} s, "
          f"{start.peak_mb:.0f} MB", flush=True)
    results = {}
    for database in args.databases:
        template_make(database)
        for run in range(1, args.runs + 1):
            for step in STEPS:
                if step == "export (admin CSV)":
                    result = export_step(database, args.rows)
                else:
                    result = import_step(database, path, args.rows,
                                         confirmed=step == "import --confirmed")
                results.setdefault((database, step), []).append(result)
                print(f"run {run} {database:10} {step:22} {row(result)}   load {load()}",
                      flush=True)
    print(f"\nMedians of {args.runs} runs (load average now {load()}):")
    print(f"{'database':10} {'step':22} {'wall s':>7} {'CPU s':>7} {'rows/s':>8} {'peak MB':>8}")
    for (database, step), runs in results.items():
        median = {key: statistics.median(run[key] for run in runs)
                  for key in ("wall", "cpu", "rate", "peak")}
        print(f"{database:10} {step:22} {row({**median, 'note': runs[0]['note']})}")
    return 0


def row(result: dict) -> str:
    return (f"{result['wall']:7.1f} {result['cpu']:7.1f} {result['rate']:8,.0f} "
            f"{result['peak']:8.0f}  {result['note']}")


if __name__ == "__main__":
    sys.exit(main())
