"""Can one client stall the site through /preview/? gunicorn (2 workers, DEBUG off) on
PostgreSQL and Redis, a week of synthetic papers, and two clients on this machine:

- an abuser sending one heavy preview a second (60 a minute: the most the limit allows),
  each with new lines so no cache helps, without waiting for the previous answer;
- a reader loading an ordinary page (the signup page) every 0.1 s, timed.

    python -m digest.devtools.bench_preview [--papers 7000] [--seconds 30]

Prints the ordinary page's latency alone and under the abuse, the previews' answers and
latency, and the CPU seconds gunicorn's workers spent. Uses the database
paperboy_bench_preview (recreated) and Redis database 5 (flushed).
"""

import argparse
import datetime
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "paperboy_bench_preview"
REDIS = "redis://127.0.0.1:6379/5"
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "REDIS_URL": REDIS,
    "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "https://paperboy.example.org", "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING", "PAPERBOY_VAR_DIR": str(ROOT / "var" / "bench-preview"),
}
# Words every abstract is full of: phrases of two of them make the matcher look at every
# paper, and broad single words match nearly all of them.
PAGE = "/"  # the signup page: a query for the topics and a form, 3 ms when all is well
COMMON = "we propose a new method for the and of in on with to show that our results improve"


def heavy_lines(rng: random.Random) -> str:
    """A preview no cache has seen: one phrase of common words and two broad words."""
    first, second = rng.sample(COMMON.split(), 2)
    return f'"{first} {second}"\nmodel\nlearning'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(papers: int) -> None:
    import psycopg
    import redis

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    redis.Redis.from_url(REDIS).flushdb()
    env = {**os.environ, **ENV}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    load = (
        "import datetime\n"
        "from digest.models import Paper\n"
        "from digest.devtools import synthetic\n"
        "today = datetime.date.today()\n"
        "Paper.objects.bulk_create([Paper(arxiv_id=f'2611.{d.key:05d}', title=d.title,"
        " abstract=d.abstract, authors=list(d.authors), categories=list(d.categories),"
        " ai_keywords=list(d.keywords), upvotes=d.upvotes,"
        " featured_on=today - datetime.timedelta(days=d.key % 7))"
        f" for d in synthetic.papers({papers})], batch_size=1000)\n"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", load], cwd=ROOT, env=env,
                   check=True)


def worker_cpu(pid: int) -> float:
    """CPU seconds of gunicorn's worker processes (the children of its master)."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            fields = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def timed_get(client, url: str, **params) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        status = client.get(url, params=params).status_code
    except Exception:  # a timeout or a worker killed mid-answer: the reader got nothing
        status = 0
    return time.perf_counter() - started, status


def figures(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"median {statistics.median(ordered) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms, "
            f"max {ordered[-1] * 1000:7.1f} ms ({len(ordered)} requests)")


def run(seconds: float) -> None:
    import httpx
    import redis

    port = free_port()
    site = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--access-logfile", "/dev/null"],
        cwd=ROOT, env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(timeout=60) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if client.get(f"{site}{PAGE}").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            # Both workers build their index of the week before the clock starts.
            for _ in range(6):
                client.get(f"{site}/preview/", params={"interests": "diffusion"})
            redis.Redis.from_url(REDIS).flushdb()  # the abuser starts with a whole minute
            alone = [timed_get(client, f"{site}{PAGE}")[0] for _ in range(50)]

            rng, answers, preview_times, threads = random.Random(7), [], [], []

            def one_preview(lines: str) -> None:
                with httpx.Client(timeout=120) as own:
                    took, status = timed_get(own, f"{site}/preview/", interests=lines)
                answers.append(status)
                preview_times.append(took)

            cpu_before = worker_cpu(server.pid)
            started = time.monotonic()

            def abuse() -> None:  # one new heavy preview a second, never waiting
                for k in range(int(seconds)):
                    time.sleep(max(0.0, started + k - time.monotonic()))
                    thread = threading.Thread(target=one_preview, args=(heavy_lines(rng),))
                    thread.start()
                    threads.append(thread)

            abuser = threading.Thread(target=abuse)
            abuser.start()
            under_load = []
            while time.monotonic() - started < seconds:
                under_load.append(timed_get(client, f"{site}{PAGE}")[0])
                time.sleep(0.1)
            abuser.join()
            for thread in threads:
                thread.join()
            cpu = worker_cpu(server.pid) - cpu_before
            wall = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{PAGE} alone:              {figures(alone)}")
    print(f"{PAGE} under the previews: {figures(under_load)}")
    counts = {status: answers.count(status) for status in sorted(set(answers))}
    print(f"heavy previews: {len(answers)} sent, answers {counts}; {figures(preview_times)}")
    print(f"gunicorn workers: {cpu:.1f} CPU s in {wall:.0f} s "
          f"({cpu / max(1, len(answers)):.2f} CPU s per preview, pages included)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=7000,
                        help="papers in the week's window (about a week of the arXiv "
                             "categories ingested by default)")
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    prepare(args.papers)
    print(f"{args.papers} papers in the window, {datetime.date.today():%Y-%m-%d}; "
          f"abuse for {args.seconds:.0f} s")
    run(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
