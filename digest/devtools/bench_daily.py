"""Daily-run benchmark: N synthetic subscribers and a 1,000-paper edition in PostgreSQL, one
dispatch tick through a real Celery worker (2 processes) on Redis into the fake ESP.

    python -m digest.devtools.bench_daily --subscribers 10000 100000 [--teams 1000]
        [--follows 10000] [--build-only 1000000]

Prints, per N: digests sent, wall time, digests per second, seconds per stage (match and
build rows in the tick; render, ESP and database summed over the sending processes), peak
memory and CPU seconds of each process (and of PostgreSQL), and SQL queries
per digest (counted in-process on a sample). With --teams T, T team digests (5 members each,
drawn from the synthetic readers, due at the same hour) are built and sent beside the
readers' digests, and their build's seconds printed apart. With --follows F, F older papers
are each followed by a reader and changed since, so F digests open with an update. With
--build-only N, N readers go through the build step alone (rows written, no sends).
Uses the database paperboy_bench (recreated) and Redis database 4 (flushed).
"""

import argparse
import datetime
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "paperboy_bench"
REDIS = "redis://127.0.0.1:6379/4"
ESP_PORT = 8026
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "REDIS_URL": REDIS,
    "CELERY_QUEUE": "bench", "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1", "SITE_URL": "https://paperboy.example.org",
    "SECURE_SSL_REDIRECT": "false", "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    "DEFAULT_FROM_EMAIL": "Paperboy <digest@paperboy.example.org>",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": "fake-postmark-token",
    "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{ESP_PORT}/", "LOG_LEVEL": "INFO",
    "PAPERBOY_VAR_DIR": str(ROOT / "var" / "bench"),
}


def recreate_database(database: str = DATABASE, env: dict[str, str] = ENV) -> None:
    """Drop and create `database`, then migrate it with the settings `env` gives."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                   cwd=ROOT, env={**os.environ, **env}, check=True)


def load(subscribers: int, papers: int, now: datetime.datetime, teams: int = 0,
         follows: int = 0) -> None:
    """The edition's papers (featured yesterday), N readers due at this hour, `teams` teams
    of TEAM_SIZE of them, due at this hour too, and `follows` older papers each followed by
    one of the readers, with a change to tell them."""
    from django.db import connection

    from digest.devtools import synthetic
    from digest.models import Paper
    from subscriptions.models import Subscriber, Topic

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE digest_deliveryitem, digest_delivery, digest_paper, "
                       "subscriptions_subscriber_topics, subscriptions_subscriber, "
                       "subscriptions_mailevent, subscriptions_teammember, "
                       "subscriptions_team CASCADE")
    yesterday = now.date() - datetime.timedelta(days=1)
    Paper.objects.bulk_create([
        Paper(arxiv_id=f"2611.{doc.key:05d}", title=doc.title, abstract=doc.abstract,
              authors=list(doc.authors), categories=list(doc.categories),
              ai_keywords=list(doc.keywords), upvotes=doc.upvotes, featured_on=yesterday)
        for doc in synthetic.papers(papers)], batch_size=1000)
    slugs = list(Topic.objects.values_list("slug", flat=True))
    rng = random.Random(3)
    readers = synthetic.readers(subscribers)
    Subscriber.objects.bulk_create([
        Subscriber(email=f"reader{r.key}@example.org", status="active", timezone="UTC",
                   send_hour=now.hour, interests="\n".join(r.lines), papers_per_email=20,
                   min_upvotes=r.min_upvotes, token=f"bench-{r.key:08d}", consent_at=now)
        for r in readers], batch_size=5000)
    readers_topics_store(readers, rng=rng, slugs=slugs)
    teams_store(teams, now=now, rng=rng)
    follows_store(follows, now=now, rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a production database has


TEAM_SIZE = 5


def follows_store(count: int, *, now: datetime.datetime, rng: random.Random) -> None:
    """`count` papers of two weeks ago (outside the edition), each followed by a random reader
    since a week ago and, since then, past 10 upvotes: an update to tell in the digest."""
    from digest.models import Follow, Paper, PaperEvent
    from subscriptions.models import Subscriber

    if not count:
        return
    old = now.date() - datetime.timedelta(days=14)
    papers = Paper.objects.bulk_create([
        Paper(arxiv_id=f"2610.{n:05d}", title=f"An older paper {n}", abstract="Followed.",
              upvotes=12, featured_on=old) for n in range(count)], batch_size=5000)
    readers = list(Subscriber.objects.values_list("pk", flat=True))
    week_ago = now - datetime.timedelta(days=7)
    Follow.objects.bulk_create([Follow(subscriber_id=rng.choice(readers), paper=paper,
                                       followed_at=week_ago) for paper in papers],
                               batch_size=5000)
    PaperEvent.objects.bulk_create([
        PaperEvent(paper=paper, kind=PaperEvent.Kind.UPVOTES, value="10",
                   noticed_at=now - datetime.timedelta(days=1)) for paper in papers],
        batch_size=5000)


def teams_store(count: int, *, now: datetime.datetime, rng: random.Random) -> None:
    """`count` teams whose address confirmed, due at this hour in UTC, each of TEAM_SIZE
    confirmed members drawn from the stored readers."""
    from subscriptions.models import Subscriber, Team, TeamMember

    if not count:
        return
    Team.objects.bulk_create([
        Team(name=f"Lab {n}", address=f"lab{n}@lists.example.org", status="active",
             timezone="UTC", send_hour=now.hour, papers_per_email=15, confirmed_at=now,
             token=f"bench-team-{n:06d}", key=f"bench-team-key-{n:06d}")
        for n in range(count)], batch_size=5000)
    readers = list(Subscriber.objects.values_list("pk", "email"))
    TeamMember.objects.bulk_create([
        TeamMember(team_id=team, subscriber_id=reader, email=email, invited_at=now,
                   confirmed_at=now, key=f"bench-member-{team}-{reader}")
        for team in Team.objects.order_by("pk").values_list("pk", flat=True)
        for reader, email in rng.sample(readers, TEAM_SIZE)], batch_size=5000)


def readers_topics_store(readers, *, rng: random.Random, slugs: list[str]) -> None:
    """Each stored synthetic reader (reader<key>@example.org) follows as many catalog topics,
    drawn from `slugs`, as their synthetic record has."""
    from subscriptions.models import Subscriber, Topic

    ids = dict(Subscriber.objects.values_list("email", "pk"))
    topic_ids = dict(Topic.objects.values_list("slug", "pk"))
    through = Subscriber.topics.through
    through.objects.bulk_create([
        through(subscriber_id=ids[f"reader{r.key}@example.org"], topic_id=topic_ids[slug])
        for r in readers if r.topics for slug in rng.sample(slugs, len(r.topics))],
        batch_size=5000)


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), printed beside every figure."""
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """User and system CPU time of a process so far; with `reaped`, also that of its
    children that have ended (PostgreSQL's server collects its closed backends' there)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of the PostgreSQL processes so far: the server, the backends running now,
    and the backends that closed (connections are recycled after a minute)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name), reaped=True)
        except OSError:  # gone meanwhile
            pass
    return total


def worker_command(processes: int, queue: str) -> list[str]:
    """A Celery worker with `processes` processes on `queue`, logging each task."""
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency",
            str(processes), "--queues", queue, "--loglevel", "INFO", "--without-gossip",
            "--without-mingle"]


def esp_command(port: int, *options: str) -> list[str]:
    """The fake ESP on `port`, counting messages instead of keeping them."""
    return [sys.executable, "-m", "digest.devtools.fake_esp", "--port", str(port), "--count-only",
            *options]


def worker_usage(pid: int, *, main: str | None,
                 child: str) -> tuple[dict[str, float], dict[str, float]]:
    """Peak memory (MB) and CPU seconds of a Celery worker's processes, named `main` (left
    out when None) and `child` 1, 2, ..."""
    memory = {main: peak_mb(pid)} if main else {}
    cpu = {main: cpu_seconds(pid)} if main else {}
    for n, process in enumerate(children(pid), start=1):
        memory[f"{child} {n}"] = peak_mb(process)
        cpu[f"{child} {n}"] = cpu_seconds(process)
    return memory, cpu


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *children(int(child))]
    return found


def run(subscribers: int, papers: int, processes: int, teams: int = 0,
        follows: int = 0) -> dict:
    import httpx
    import redis
    from celery import Celery
    from django.db.models import Count
    from django.utils import timezone

    from digest.models import Delivery

    now = timezone.now()
    started = time.perf_counter()
    load(subscribers, papers, now, teams, follows)
    load_s = time.perf_counter() - started
    queries = queries_per_digest(now)
    redis.Redis.from_url(REDIS).flushdb()
    env = {**os.environ, **ENV}
    Path(ENV["PAPERBOY_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    log_path = Path(ENV["PAPERBOY_VAR_DIR"]) / f"worker-{subscribers}.log"
    esp = subprocess.Popen(esp_command(ESP_PORT), cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    with log_path.open("w") as log:
        worker = subprocess.Popen(worker_command(processes, "bench"), cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(4)  # worker and ESP up
        started, postgres_before = time.perf_counter(), postgres_cpu_seconds()
        Celery(broker=REDIS).send_task("digest.tasks.dispatch_tick", queue="bench")
        edition = Delivery.objects.filter(edition=now.date())
        while True:
            time.sleep(1)
            total = edition.count()
            open_rows = edition.filter(status__in=["pending", "sending"]).count()
            if total == subscribers + teams and open_rows == 0:
                break
            if time.perf_counter() - started > 1800:
                raise RuntimeError(f"not done after 30 minutes: {total} rows, {open_rows} open")
        wall = time.perf_counter() - started
        memory, cpu = worker_usage(worker.pid, main="worker (main)", child="worker process")
        memory["fake ESP"] = peak_mb(esp.pid)
        cpu["fake ESP"] = cpu_seconds(esp.pid)
        cpu["PostgreSQL"] = postgres_cpu_seconds() - postgres_before
        stats = httpx.get(f"http://127.0.0.1:{ESP_PORT}/stats").json()
    finally:
        worker.terminate()
        worker.wait(60)
        esp.terminate()
        esp.wait(10)
    text = log_path.read_text()
    builds, team_builds = build_timings(text)
    batches = re.findall(r"Finished a send batch: .* total_s=([\d.]+) render_s=([\d.]+) "
                         r"esp_s=([\d.]+) database_s=([\d.]+)", text)
    sums = [sum(float(b[i]) for b in batches) for i in range(4)]
    counts = dict(Delivery.objects.filter(edition=now.date()).order_by().values_list("status")
                  .annotate(n=Count("pk")))
    return {"subscribers": subscribers, "load_s": load_s, "wall": wall, "counts": counts,
            "esp_accepted": stats["accepted"], "match_s": sum(float(m) for m, _ in builds),
            "write_s": sum(float(w) for _, w in builds), "render_s": sums[1], "esp_s": sums[2],
            "db_s": sums[3], "memory": memory, "cpu": cpu, "queries": queries, "teams": teams,
            "follows": follows, "told": updates_told(),
            "team_match_s": sum(float(m) for m, _ in team_builds),
            "team_write_s": sum(float(w) for _, w in team_builds),
            "team_counts": dict(Delivery.objects.filter(edition=now.date(), team__isnull=False)
                                .order_by().values_list("status").annotate(n=Count("pk")))}


def run_build(subscribers: int, papers: int, processes: int, teams: int = 0,
              follows: int = 0) -> dict:
    """The build step alone: the tick's shards (computed here, as the tick computes them)
    built by the worker without queueing sends, timed until every row is written."""
    import redis
    from celery import group
    from django.db.models import Count
    from django.utils import timezone

    from digest.models import Delivery, DeliveryItem
    from digest.tasks import build_shards, team_builds

    now = timezone.now()
    started = time.perf_counter()
    load(subscribers, papers, now, teams, follows)
    load_s = time.perf_counter() - started
    redis.Redis.from_url(REDIS).flushdb()
    env = {**os.environ, **ENV}
    log_path = Path(ENV["PAPERBOY_VAR_DIR"]) / f"worker-build-{subscribers}.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(worker_command(processes, "bench"), cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(4)  # worker up
        started, postgres_before = time.perf_counter(), postgres_cpu_seconds()
        shards, readers = build_shards(now=now, send=False)
        shards += team_builds(now=now, send=False)
        tick_s = time.perf_counter() - started
        group(shards).apply_async(queue="bench")
        edition = Delivery.objects.filter(edition=now.date())
        while edition.count() < readers + teams:
            time.sleep(1)
            if time.perf_counter() - started > 3600:
                raise RuntimeError(f"not built after an hour: {edition.count()} rows")
        wall = time.perf_counter() - started
        memory, cpu = worker_usage(worker.pid, main=None, child="worker process")
        cpu["PostgreSQL"] = postgres_cpu_seconds() - postgres_before
    finally:
        worker.terminate()
        worker.wait(60)
    builds, team_builds = build_timings(log_path.read_text())
    counts = dict(edition.order_by().values_list("status").annotate(n=Count("pk")))
    return {"subscribers": subscribers, "load_s": load_s, "tick_s": tick_s, "wall": wall,
            "shards": len(shards), "counts": counts,
            "items": DeliveryItem.objects.filter(delivery__edition=now.date()).count(),
            "match_s": sum(float(m) for m, _ in builds),
            "write_s": sum(float(w) for _, w in builds), "memory": memory, "cpu": cpu,
            "teams": teams, "team_match_s": sum(float(m) for m, _ in team_builds),
            "follows": follows, "told": updates_told(),
            "team_write_s": sum(float(w) for _, w in team_builds)}


def queries_per_digest(now, sample: int = 300) -> float:
    """SQL statements per digest, building and sending `sample` digests of today's edition in
    this process (to an outbox in memory); their rows are removed before the real run."""
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from digest.deliver.batch import deliveries_send
    from digest.editions.build import deliveries_build
    from digest.models import Delivery
    from subscriptions.models import Subscriber

    edition = now.date()
    some = Subscriber.objects.filter(pk__in=list(
        Subscriber.objects.order_by("pk").values_list("pk", flat=True)[:sample]))
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        with CaptureQueriesContext(connection) as queries:
            built = deliveries_build(edition=edition, subscribers=some)
            deliveries_send(built.to_send, on_transient=lambda *a: None)
    digests = Delivery.objects.filter(edition=edition).count()
    with connection.cursor() as cursor:
        # Statistics like those of a database that has sent digests before: analysed while
        # empty, the delivery tables would look to the planner as if every delivery had
        # thousands of papers (and lookups by delivery would scan the whole table).
        cursor.execute("ANALYZE digest_delivery, digest_deliveryitem")
    Delivery.objects.filter(edition=edition).delete()
    return len(queries) / max(digests, 1)


def processes_print(row: dict, after_cpu: str = "") -> None:
    print("  peak memory: " + ", ".join(f"{name} {mb:.0f} MB"
                                         for name, mb in row["memory"].items()), flush=True)
    print("  CPU seconds: " + ", ".join(f"{name} {s:.1f}" for name, s in row["cpu"].items())
          + after_cpu, flush=True)


def build_timings(log: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(match_s, write_s) of each readers' build task and each teams' one, from the worker's
    log."""
    return (re.findall(r"Built deliveries: .* match_s=([\d.]+) write_s=([\d.]+)", log),
            re.findall(r"Built team deliveries: .* match_s=([\d.]+) write_s=([\d.]+)", log))


def updates_told() -> int:
    from digest.models import FollowUpdate

    return FollowUpdate.objects.count()


def teams_print(row: dict) -> None:
    """What the teams and followed papers added: the teams' rows and the seconds their build
    tasks took; the updates told."""
    if row["follows"]:
        print(f"  followed papers: {row['follows']:,}, each with a change; updates told in "
              f"the digests: {row['told']:,}", flush=True)
    if row["teams"]:
        rows = f"; rows {row['team_counts']}" if "team_counts" in row else ""
        print(f"  teams: {row['teams']:,} of {TEAM_SIZE} members{rows}; their build: match "
              f"{row['team_match_s']:.1f} s, write {row['team_write_s']:.1f} s (included in "
              f"the wall time above)", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--build-only", type=int, nargs="*", default=[], metavar="N",
                        help="also these reader counts, through the build step only")
    parser.add_argument("--teams", type=int, default=0, metavar="T",
                        help=f"also T team digests of {TEAM_SIZE} members drawn from the "
                             f"readers, due at the same hour (each run)")
    parser.add_argument("--follows", type=int, default=0, metavar="F",
                        help="also F older papers, each followed by a reader and changed "
                             "since (an update for their digest; each run)")
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    recreate_database()
    import django

    django.setup()
    print(f"Daily-run benchmark: {args.papers} papers, one worker with {args.processes} "
          f"processes, PostgreSQL, Redis, Anymail's Postmark backend to the fake ESP; "
          f"{load_average()}.",
          flush=True)
    rows = []
    for subscribers in args.subscribers:
        row = run(subscribers, args.papers, args.processes, args.teams, args.follows)
        rows.append(row)
        sent = row["counts"].get("sent", 0)
        print(f"\nN = {subscribers:,}: loaded in {row['load_s']:.1f} s; rows {row['counts']}; "
              f"the ESP accepted {row['esp_accepted']:,}", flush=True)
        print(f"  wall {row['wall']:.1f} s, {sent / row['wall']:.0f} digests/s, "
              f"{row['wall'] / max(sent, 1) * 1000:.2f} ms per digest", flush=True)
        print(f"  stages: match {row['match_s']:.1f} s, build rows {row['write_s']:.1f} s "
              f"(summed over build tasks); render {row['render_s']:.1f} s, ESP "
              f"{row['esp_s']:.1f} s, database {row['db_s']:.1f} s (summed over the "
              f"sending processes)", flush=True)
        # On 2 cores the wall time is bounded by the CPU all processes need together.
        processes_print(row, f"; in all {sum(row['cpu'].values()) / max(sent, 1) * 1000:.2f} "
                             f"ms per digest")
        print(f"  SQL queries per digest (build and send, 300 in-process): "
              f"{row['queries']:.1f}", flush=True)
        teams_print(row)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        cost = [r["wall"] / max(r["counts"].get("sent", 1), 1) for r in (first, last)]
        print(f"\nCost per digest from {first['subscribers']:,} to {last['subscribers']:,}: "
              f"{cost[0] * 1000:.2f} -> {cost[1] * 1000:.2f} ms ({cost[1] / cost[0] - 1:+.0%})")
    from django.conf import settings

    for subscribers in args.build_only:
        row = run_build(subscribers, args.papers, args.processes, args.teams,
                        args.follows)
        written = sum(row["counts"].values())
        print(f"\nN = {subscribers:,}, the build step only (rows written, no sends queued): "
              f"loaded in {row['load_s']:.0f} s; rows {row['counts']}, {row['items']:,} "
              f"papers in them", flush=True)
        print(f"  the tick's shards: {row['shards']} of up to "
              f"{settings.BUILD_SHARD_READERS:,} readers, found in {row['tick_s']:.2f} s",
              flush=True)
        print(f"  wall {row['wall']:.1f} s from the tick to the last row, "
              f"{written / row['wall']:,.0f} rows/s ({row['items'] / row['wall']:,.0f} "
              f"papers/s); match {row['match_s']:.1f} s, write {row['write_s']:.1f} s "
              f"(summed over the build tasks)", flush=True)
        teams_print(row)
        processes_print(row)
    print(f"\n{load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

