"""Tools for developers, run as programs, that the service never imports (a test checks it):
the fake ESP the tests and `make stack` send mail to, the benchmarks (`make bench-match`,
`make bench`, `make bench-preview`) and the fault drills (`make faults`), their synthetic
papers and readers, and the obvious per-reader matcher that the benchmarks measure against
and the tests take as their oracle.

    python -m digest.devtools.fake_esp --port 8025
    python -m digest.devtools.bench_matching --subscribers 10000
"""
