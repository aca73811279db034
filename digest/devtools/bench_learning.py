"""Learning-path benchmark: a day's papers embedded by a real Celery worker (2 processes),
a million readers scored against them, and one reader refit after a vote.

    python -m digest.devtools.bench_learning

1. Embedding: 1,500 papers (titles and 150-250-word abstracts recombined from the evaluation
   set's) as Paper rows in PostgreSQL, `embed_new_papers` sent to a worker with 2 processes on
   Redis, timed until every paper has its PaperEmbedding. First, the encoder's rate in this
   process on one core at 128 and 256 word pieces.
2. Scoring: scoring.top_k of 1,000,000 float16 readers against 1,500 papers in the hybrid
   space (512 dimensions), k = 10, with thresholds; random unit vectors. Run in a fresh
   process, so its peak memory (VmHWM, the peak resident set) is the scoring's alone.
3. Refit: readers_inputs and readers_scorers for one reader (a description, 5 seed papers,
   20 votes) after each of 50 votes, the week's space fitted beforehand on four weeks of
   papers; then the feedback page's work after a vote (reader_top_papers).

Uses the database paperboy_bench_learning (recreated) and Redis database 10 (flushed).
Targets (issue 15): embedding <= 90 s, scoring <= 20 s and <= 2 GB, a refit <= 50 ms.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from digest.devtools.bench_daily import (
    ENV as DAILY_ENV,
)
from digest.devtools.bench_daily import (
    ROOT,
    peak_mb,
    recreate_database,
    worker_command,
    worker_usage,
)

DATABASE = "paperboy_bench_learning"
REDIS = "redis://127.0.0.1:6379/10"
QUEUE = "bench_learning"
ENV = {**DAILY_ENV, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
       "REDIS_URL": REDIS, "CELERY_QUEUE": QUEUE,
       "PAPERBOY_VAR_DIR": str(ROOT / "var" / "bench_learning")}
EVAL_PAPERS = ROOT / "tests" / "data" / "eval" / "papers.jsonl"
EVAL_TOPICS = ROOT / "tests" / "data" / "eval" / "topics.json"
HYBRID_DIMS = 384 + 128  # MiniLM beside the reduced TF-IDF block (profiles.HYBRID)
TARGETS = {"embedding": 90.0, "scoring": 20.0, "scoring_gb": 2.0, "refit_ms": 50.0}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def paper_texts(count: int, *, seed: int) -> list[tuple[str, str]]:
    """(title, abstract) pairs like arXiv's: an evaluation paper's title and abstract,
    continued with another's sentences up to 150-250 words (its abstracts are ~125)."""
    rng = random.Random(seed)
    source = [json.loads(line) for line in EVAL_PAPERS.read_text().splitlines() if line.strip()]
    result = []
    for _ in range(count):
        first, other = rng.sample(source, 2)
        words = first["abstract"].split()
        target = rng.randint(150, 250)
        for sentence in re.split(r"(?<=\.)\s+", other["abstract"]):
            if len(words) >= target:
                break
            words += sentence.split()
        result.append((first["title"], " ".join(words)))
    return result


def papers_create(texts: list[tuple[str, str]], *, prefix: str, days: list[date]) -> list:
    from digest.models import Paper

    return Paper.objects.bulk_create([
        Paper(arxiv_id=f"{prefix}.{n:05d}", title=title, abstract=abstract,
              categories=["cs.LG"], featured_on=days[n % len(days)])
        for n, (title, abstract) in enumerate(texts, start=1)], batch_size=2000)


# --- 1. Embedding -----------------------------------------------------------------------------


def encoder_rates(texts: list[str], lengths=(128, 256)) -> dict[int, tuple[float, float]]:
    """Per max_tokens: (texts per second on one core, mean word pieces before truncation)."""
    from threadpoolctl import threadpool_limits

    from digest.learn.embedding import MiniLM

    rates = {}
    for max_tokens in lengths:
        model = MiniLM(max_tokens)
        model.encode(texts[:8])  # warm up
        with threadpool_limits(1):
            started = time.perf_counter()
            model.encode(texts)
            rate = len(texts) / (time.perf_counter() - started)
        model.tok.no_truncation()
        pieces = statistics.mean(len(e.ids) for e in model.tok.encode_batch(texts))
        rates[max_tokens] = (rate, pieces)
    return rates


def wait_for_line(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {text!r} in {path} after {timeout:.0f} s")
        time.sleep(0.2)


def embedding_run(count: int, processes: int) -> dict:
    """Time embed_new_papers on a real worker until every paper has its embedding."""
    import redis
    from celery import Celery

    from digest.learn.store import MODEL
    from digest.models import PaperEmbedding

    redis.Redis.from_url(REDIS).flushdb()
    log_path = Path(ENV["PAPERBOY_VAR_DIR"]) / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(worker_command(processes, QUEUE), cwd=ROOT,
                                  env={**os.environ, **ENV}, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        wait_for_line(log_path, " ready.", timeout=120)
        load_before = load()
        started = time.perf_counter()
        Celery(broker=REDIS).send_task("digest.tasks.embed_new_papers", queue=QUEUE)
        while (done := PaperEmbedding.objects.filter(model=MODEL).count()) < count:
            if time.perf_counter() - started > 1800:
                raise RuntimeError(f"{done} of {count} papers embedded after 30 minutes")
            time.sleep(0.5)
        wall = time.perf_counter() - started
        memory, cpu = worker_usage(worker.pid, main="main", child="process")
    finally:
        worker.terminate()
        worker.wait(60)
    tasks = [float(s) for s in re.findall(r"embed_papers\[.*\] succeeded in ([\d.]+)s",
                                          log_path.read_text())]
    return {"wall": wall, "cpu": cpu, "memory": memory, "tasks": tasks,
            "load": f"{load_before} -> {load()}"}


# --- 2. Scoring -------------------------------------------------------------------------------


def unit_rows(rng: np.random.Generator, rows: int, dims: int) -> np.ndarray:
    block = rng.standard_normal((rows, dims), dtype=np.float32)
    block /= np.linalg.norm(block, axis=1, keepdims=True)
    return block


def scoring_run(readers: int, papers: int, dims: int, k: int) -> dict:
    """top_k on random unit vectors; runs in a process of its own (see main)."""
    from threadpoolctl import threadpool_limits

    from digest.learn.scoring import CHUNK, top_k

    rng = np.random.default_rng(0)
    reader_matrix = np.empty((readers, dims), np.float16)
    for start in range(0, readers, 10_000):  # small blocks: no float32 copy of the whole
        stop = min(start + 10_000, readers)
        reader_matrix[start:stop] = unit_rows(rng, stop - start, dims)
    paper_matrix = unit_rows(rng, papers, dims)
    # Thresholds at about each reader's top 5%, as fit_scorer sets them (random unit vectors
    # in 512 dimensions score about N(0, 1/512)): ~75 of 1,500 papers clear them.
    thresholds = rng.normal(1.645 / np.sqrt(dims), 0.01, readers).astype(np.float32)
    load_before = load()
    started, cpu_before = time.perf_counter(), time.process_time()
    indices, scores = top_k(reader_matrix, paper_matrix, k, thresholds)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    peak = peak_mb(os.getpid())

    papers_t = np.ascontiguousarray(paper_matrix.T)

    def product(start: int) -> None:
        reader_matrix[start:start + CHUNK].astype(np.float32) @ papers_t

    started = time.perf_counter()
    with threadpool_limits(1), ThreadPoolExecutor(2) as pool:
        list(pool.map(product, range(0, readers, CHUNK)))
    product_s = time.perf_counter() - started
    return {"wall": wall, "cpu": cpu, "product_s": product_s, "peak_mb": peak,
            "readers_mb": reader_matrix.nbytes / 2**20,
            "results_mb": (indices.nbytes + scores.nbytes) / 2**20,
            "listed": float((indices >= 0).sum(axis=1).mean()),
            "load": f"{load_before} -> {load()}"}


# --- 3. Refit ---------------------------------------------------------------------------------


def weekdays(since: date, until: date) -> list[date]:
    return [since + timedelta(days=n) for n in range((until - since).days + 1)
            if (since + timedelta(days=n)).weekday() < 5]


def window_create(day: date, count: int) -> list:
    """The four weeks of papers before `day`'s week (the space's window). Their embeddings
    are stand-ins, a day paper's vector plus noise: embedding them for real would take half
    an hour, and a refit's cost does not depend on the vectors' values."""
    from digest.learn.embedding import to_float16_bytes
    from digest.learn.store import MODEL, SPACE_WEEKS, paper_set, space_week
    from digest.models import Paper, PaperEmbedding

    monday = space_week(day)
    days = weekdays(monday - timedelta(weeks=SPACE_WEEKS), monday - timedelta(days=1))
    papers = papers_create(paper_texts(count, seed=2), prefix="2610", days=days)
    day_vectors = paper_set(Paper.objects.filter(featured_on=day)).vectors
    rng = np.random.default_rng(1)
    vectors = day_vectors[rng.integers(len(day_vectors), size=len(papers))]
    vectors = vectors + rng.normal(0, 0.03, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    PaperEmbedding.objects.bulk_create([
        PaperEmbedding(paper=paper, model=MODEL, vector=to_float16_bytes(vector))
        for paper, vector in zip(papers, vectors, strict=True)], batch_size=2000)
    return papers


def reader_create(day: date, window: list, *, seeds: int, votes: int):
    """A reader with the evaluation set's interpretability description, seed papers from
    the window, and votes (three up for two down) on the day's papers."""
    from django.utils import timezone

    from digest.models import Paper, Vote
    from subscriptions.models import Subscriber

    topic = json.loads(EVAL_TOPICS.read_text())["interpretability"]
    rng = random.Random(3)
    reader = Subscriber.objects.create(
        email="learner@example.org", status="active", description=topic["description"],
        seed_papers=" ".join(p.arxiv_id for p in rng.sample(window, seeds)),
        consent_at=timezone.now())
    voted = rng.sample(list(Paper.objects.filter(featured_on=day)), votes)
    Vote.objects.bulk_create([
        Vote(subscriber=reader, paper=paper, value=1 if n % 5 < 3 else -1,
             voted_at=timezone.now()) for n, paper in enumerate(voted)])
    return reader


def refit_run(day: date, window_count: int, refits: int) -> dict:
    from digest.learn.reader_models import reader_top_papers, readers_inputs, readers_scorers
    from digest.learn.store import space_for
    from digest.models import ReaderProfile, Vote
    from subscriptions.models import Subscriber

    window = window_create(day, window_count)
    reader = reader_create(day, window, seeds=5, votes=20)
    started = time.perf_counter()
    space = space_for(day)  # once per process and week, then cached
    space_s = time.perf_counter() - started
    the_reader = Subscriber.objects.filter(pk=reader.pk)
    readers_scorers(readers_inputs(the_reader), day=day)  # the first fit embeds the words
    votes = list(Vote.objects.filter(subscriber=reader).order_by("pk"))
    load_before = load()

    def after_each_vote(work) -> tuple[list[float], list[float]]:
        """Wall and CPU ms (this process's) of `work` after each of `refits` votes, one
        vote flipped each time."""
        wall, cpu = [], []
        for n in range(refits):
            vote = votes[n % len(votes)]
            vote.value = -vote.value
            vote.save(update_fields=["value"])
            started, cpu_before = time.perf_counter(), time.process_time()
            work()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_before) * 1000)
        return wall, cpu

    refit = after_each_vote(lambda: readers_scorers(readers_inputs(the_reader), day=day))
    profile = ReaderProfile.objects.get(subscriber=reader)
    page = after_each_vote(lambda: reader_top_papers(subscriber=reader, day=day, limit=5))
    return {"space_s": space_s, "window": space.window.shape, "kind": profile.kind,
            "refit": refit, "page": page, "load": f"{load_before} -> {load()}"}


# --- 4. The tick with learning readers -------------------------------------------------------


def tick_run(day: date, readers: int) -> dict:
    """The build step of the next day's edition for N readers with synthetic lines, once
    with learning on (a description each, and a stored profile as after their first fit:
    random unit weights in the week's space, a threshold at about their top 5%) and once
    without (the description gone); the difference is what learned scoring adds."""
    from django.utils import timezone

    from digest.devtools import synthetic
    from digest.editions.build import deliveries_build
    from digest.learn.digests import learning_caches_clear
    from digest.learn.embedding import to_float16_bytes
    from digest.learn.reader_models import readers_inputs
    from digest.learn.store import space_for
    from digest.models import Delivery, ReaderProfile
    from subscriptions.models import Subscriber

    now = timezone.now()
    Subscriber.objects.bulk_create([
        Subscriber(email=f"reader{r.key}@example.org", status="active", consent_at=now,
                   interests="\n".join(r.lines), papers_per_email=10, token=f"tick-{r.key}",
                   description=f"Reader {r.key}'s interests.")
        for r in synthetic.readers(readers)], batch_size=5000)
    crowd = Subscriber.objects.filter(email__startswith="reader")
    space = space_for(day)
    dims = space.window.shape[1]
    rng = np.random.default_rng(4)
    profiles = []
    for key, inputs in readers_inputs(crowd).items():
        weights = unit_rows(rng, 1, dims)[0]
        profiles.append(ReaderProfile(
            subscriber_id=key, inputs_hash=inputs.inputs_hash, text_hash=inputs.words_hash,
            space=space.week, weights=to_float16_bytes(weights), kind="rocchio", liked=[],
            threshold=float(1.645 / np.sqrt(dims)), fitted_at=now))
    ReaderProfile.objects.bulk_create(profiles, batch_size=5000)
    edition = day + timedelta(days=1)

    def build() -> tuple[float, float, float]:
        Delivery.objects.filter(edition=edition).delete()
        learning_caches_clear()
        space_for(day)  # the week's space is fitted once per process and week: not timed
        started, cpu_before = time.perf_counter(), time.process_time()
        built = deliveries_build(edition=edition, subscribers=crowd)
        return time.perf_counter() - started, time.process_time() - cpu_before, built.match_s

    load_before = load()
    learning = build()
    recommended = Delivery.objects.filter(edition=edition,
                                          items__matched__0__recommended=True).distinct().count()
    crowd.update(description="")
    plain = build()
    return {"learning": learning, "plain": plain, "recommended": recommended,
            "load": f"{load_before} -> {load()}"}


# --- the run ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share * 100))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1500)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--readers", type=int, default=1_000_000)
    parser.add_argument("--window", type=int, default=30_000,
                        help="papers in the space's four weeks (20 days of 1,500)")
    parser.add_argument("--refits", type=int, default=50)
    parser.add_argument("--tick-readers", type=int, default=20_000)
    args = parser.parse_args(argv)
    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    Path(ENV["PAPERBOY_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    recreate_database(DATABASE, ENV)
    import django

    django.setup()
    from django.utils import timezone

    from digest.learn.embedding import MAX_TOKENS, paper_text

    print(f"Learning-path benchmark on {os.cpu_count()} cores (shared), {load()}", flush=True)
    day = timezone.localdate()
    texts = paper_texts(args.papers, seed=1)
    papers_create(texts, prefix="2611", days=[day])

    rates = encoder_rates([paper_text(*t) for t in texts[:100]])
    print("\n1. Embedding. The encoder in this process, one core, 100 of the papers "
          f"({rates[256][1]:.0f} word pieces on average before truncation):", flush=True)
    for max_tokens, (rate, _) in rates.items():
        print(f"  max_tokens {max_tokens}: {rate:.1f} texts/s", flush=True)
    print(f"  128 is {rates[128][0] / rates[256][0]:.1f}x as fast as 256; stored: "
          f"max_tokens {MAX_TOKENS}", flush=True)
    embedded = embedding_run(args.papers, args.processes)
    cpu = sum(embedded["cpu"].values())
    print(f"  {args.papers:,} papers through embed_new_papers on a worker with "
          f"{args.processes} processes: wall {embedded['wall']:.1f} s, "
          f"{args.papers / embedded['wall']:.1f} papers/s ({embedded['load']})", flush=True)
    print(f"  {len(embedded['tasks'])} embed_papers tasks, {statistics.mean(embedded['tasks']):.1f}"
          f" s each on average; worker CPU {cpu:.1f} s (" + ", ".join(
              f"{name} {s:.1f}" for name, s in embedded["cpu"].items()) + "); peak memory "
          + ", ".join(f"{name} {mb:.0f} MB" for name, mb in embedded["memory"].items()),
          flush=True)

    # A process of its own (spawned, so it shares nothing): its peak is the scoring's.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        scored = pool.submit(scoring_run, args.readers, args.papers, HYBRID_DIMS, 10).result()
    print(f"\n2. Scoring {args.readers:,} readers x {args.papers:,} papers "
          f"({HYBRID_DIMS} dimensions, float16 readers, k = 10, thresholds; {scored['load']}):",
          flush=True)
    print(f"  top_k: wall {scored['wall']:.1f} s, CPU {scored['cpu']:.1f} s (2 threads); the "
          f"float32 upcast and product alone, the same chunks and threads: "
          f"{scored['product_s']:.1f} s", flush=True)
    print(f"  peak memory (VmHWM of the scoring process, its random data included)"
          f": {scored['peak_mb']:,.0f} MB; of which readers {scored['readers_mb']:,.0f} MB, "
          f"results {scored['results_mb']:,.0f} MB; {scored['listed']:.1f} papers listed per "
          f"reader on average", flush=True)

    refit = refit_run(day, args.window, args.refits)
    print(f"\n3. Refitting one reader after a vote (a description, 5 seeds, 20 votes; "
          f"{refit['kind']}; {refit['load']}):", flush=True)
    print(f"  the week's space, fitted once per process and week on {refit['window'][0]:,} "
          f"papers ({refit['window'][1]} dimensions): {refit['space_s']:.1f} s", flush=True)
    for name, (wall, cpu) in (("refit (readers_inputs + readers_scorers)", refit["refit"]),
                              ("feedback page (reader_top_papers: refit + top 5)",
                               refit["page"])):
        print(f"  {name}, {len(wall)} votes: median {statistics.median(wall):.1f} ms, "
              f"p95 {percentile(wall, 0.95):.1f} ms; CPU in this process: median "
              f"{statistics.median(cpu):.1f} ms", flush=True)

    tick = tick_run(day, args.tick_readers)
    per_reader = (tick["learning"][1] - tick["plain"][1]) / args.tick_readers
    print(f"\n4. The tick's build step for {args.tick_readers:,} readers with synthetic lines "
          f"against the day's {args.papers:,} papers ({tick['load']}):", flush=True)
    for name, (wall, cpu, match_s) in (("learning on (stored profiles)", tick["learning"]),
                                       ("learning off", tick["plain"])):
        print(f"  {name}: wall {wall:.1f} s, CPU {cpu:.1f} s (matching {match_s:.1f} s)",
              flush=True)
    print(f"  learned scoring adds {per_reader * 1e6:.0f} us of CPU per learning reader "
          f"({tick['recommended']:,} digests hold a recommendation): "
          f"{per_reader * 1e6 / 3600:.1f} CPU hours per million learning readers a day",
          flush=True)

    refit_p95 = percentile(refit["refit"][0], 0.95)
    rows = [
        (f"embed {args.papers:,} papers (worker, {args.processes} processes)",
         f"{embedded['wall']:.1f} s", f"<= {TARGETS['embedding']:.0f} s",
         embedded["wall"] <= TARGETS["embedding"]),
        (f"score {args.readers:,} readers x {args.papers:,} papers", f"{scored['wall']:.1f} s",
         f"<= {TARGETS['scoring']:.0f} s", scored["wall"] <= TARGETS["scoring"]),
        ("  its peak memory", f"{scored['peak_mb'] / 1024:.2f} GB",
         f"<= {TARGETS['scoring_gb']:.0f} GB", scored["peak_mb"] / 1024 <= TARGETS["scoring_gb"]),
        ("refit one reader after a vote, p95", f"{refit_p95:.1f} ms",
         f"<= {TARGETS['refit_ms']:.0f} ms", refit_p95 <= TARGETS["refit_ms"]),
    ]
    print("\n| measurement | figure | target | met |\n|---|---|---|---|")
    for name, figure, target, met in rows:
        print(f"| {name} | {figure} | {target} | {'yes' if met else 'NO'} |")
    print(f"\n{load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
