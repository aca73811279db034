"""Matching benchmark: the compiled matcher against the obvious per-reader loop.

    python -m digest.devtools.bench_matching --subscribers 1000000 --papers 1000

Prints one table row per population size, and the mix of the readers' distinct lines. The
per-reader loop runs on a sample of readers and is scaled up linearly (said so in the
table); the same sample checks that both give the same digests.
"""

import argparse
import gc
import os
import resource
import sys
import time

from digest.devtools import synthetic
from digest.devtools.reference_matcher import rank_for_reader
from digest.match.index import PaperIndex
from digest.match.matching import match
from digest.match.readers import compile_readers


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(subscribers: int, papers: int, sample: int) -> dict:
    paper_docs = synthetic.papers(papers)
    population = synthetic.readers(subscribers)
    gc.collect()
    before = peak_mb()

    started = time.perf_counter()
    index = PaperIndex(paper_docs)
    compiled = compile_readers(population, topics=synthetic.TOPICS)
    compile_seconds = time.perf_counter() - started

    started = time.perf_counter()
    matches = match(compiled, index)
    match_seconds = time.perf_counter() - started
    delivered = int(matches.counts.sum())

    step = max(1, subscribers // sample)
    sampled = list(range(0, subscribers, step))[:sample]
    started = time.perf_counter()
    expected = [rank_for_reader(population[row], paper_docs, synthetic.TOPICS) for row in sampled]
    loop_seconds = (time.perf_counter() - started) * subscribers / len(sampled)
    disagreements = sum(matches.paper_keys(row) != want
                        for row, want in zip(sampled, expected, strict=True))
    return {
        "mix": synthetic.line_mix(population),
        "subscribers": subscribers, "papers": papers, "lines": len(compiled.lines),
        "compile": compile_seconds, "match": match_seconds,
        "peak": peak_mb(), "input": before, "delivered": delivered,
        "loop": loop_seconds, "sample": len(sampled), "disagree": disagreements,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=100,
                        help="readers run through the per-reader loop (scaled up linearly)")
    args = parser.parse_args(argv)
    print(f"Matching benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"top 20 papers each; per-reader loop timed on {args.sample} readers and scaled "
          f"linearly.")
    header = ("| subscribers | papers | distinct lines | compile s | match s | peak MB "
              "(inputs MB) | papers chosen | per-reader loop s (scaled) | speed-up | "
              "sample agrees |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    mixes = []
    for subscribers in args.subscribers:
        row = run(subscribers, args.papers, args.sample)
        mixes.append(f"{subscribers:,} readers: {row['mix']}")
        speedup = row["loop"] / (row["compile"] + row["match"])
        print(f"| {row['subscribers']:,} | {row['papers']:,} | {row['lines']:,} | "
              f"{row['compile']:.2f} | {row['match']:.2f} | {row['peak']:,.0f} "
              f"({row['input']:,.0f}) | {row['delivered']:,} | {row['loop']:,.0f} | "
              f"{speedup:,.0f}x | {row['sample'] - row['disagree']}/{row['sample']} |",
              flush=True)
    print("\nDistinct lines (by meaning) and their kinds (a line is counted once, under its "
          "most costly term):")
    print("\n".join(mixes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
