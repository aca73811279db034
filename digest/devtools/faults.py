"""Fault drills on the real stack: N synthetic readers (10,000 by default) and a 1,000-paper
edition in PostgreSQL, sent by a Celery worker (2 processes) into the fake ESP while
something breaks. Each drill prints what happened and its checks; exit 1 if one fails.

    python -m digest.devtools.faults kill redis chaos beats

kill   SIGKILL the whole worker (main process and children) three times mid-send,
       restarting it each time.
redis  stop Redis mid-send without saving (every queued task is lost), start it again.
chaos  the ESP answers 20% 500, 10% 429 with Retry-After, 5% slower than the client's
       timeout (accepting the message anyway), and refuses 1% of the readers for good (422).
beats  two beats by mistake: every tick is sent twice at the same instant.

The drills run on their own Redis (port 6391, started and stopped here) and database
(paperboy_bench). The script stands in for beat, sending a dispatch tick every 10 seconds,
and shortens the recovery delays (DRILL_ENV) so a drill takes minutes, not hours.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from digest.devtools.bench_daily import (
    ENV,
    ROOT,
    esp_command,
    load,
    recreate_database,
    worker_command,
)

REDIS_PORT = 6391
REDIS = f"redis://127.0.0.1:{REDIS_PORT}/0"
ESP_PORT = 8027
PROCESSES = 2
DRILL_ENV = {
    **ENV, "REDIS_URL": REDIS, "CELERY_QUEUE": "drill",
    "ANYMAIL_POSTMARK_API_URL": f"http://127.0.0.1:{ESP_PORT}/",
    "DELIVERY_STUCK_AFTER_SECONDS": "20", "DELIVERY_WAITING_AFTER_SECONDS": "20",
    "SEND_RETRY_BACKOFF_SECONDS": "1", "SEND_RETRY_BACKOFF_MAX_SECONDS": "8",
    "ANYMAIL_REQUESTS_TIMEOUT": "0.5",
}
# Only for the kill drill: Redis hands a dead worker's tasks out again after 30 s. (Not for
# the chaos drill: retries wait in the worker as tasks with a countdown, which Redis would
# hand out again too once the timeout is shorter than the countdown.)
KILL_ENV = {"CELERY_VISIBILITY_TIMEOUT": "30"}
DRILLS = ["kill", "redis", "chaos", "beats"]
TICK_EVERY = 10  # seconds
REFUSED = "+refused"  # in the address of the readers the chaotic ESP refuses


class Stack:
    """Redis, the fake ESP and a worker as child processes; a worker can be killed."""

    def __init__(self, esp_args: list[str], log: Path, env: dict):
        self.env = {**os.environ, **DRILL_ENV, **env}
        self.log = log.open("a")
        self.redis = None
        self.redis_start()
        self.esp = subprocess.Popen(esp_command(ESP_PORT, *esp_args), cwd=ROOT, env=self.env,
                                    stdout=subprocess.DEVNULL)
        self.worker = None
        self.worker_start()

    def redis_start(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import redis
        for _ in range(50):
            try:
                redis.Redis.from_url(REDIS).ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("the drill's Redis did not start")

    def redis_stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.redis.wait(10)

    def worker_start(self) -> None:
        self.worker = subprocess.Popen(
            worker_command(PROCESSES, DRILL_ENV["CELERY_QUEUE"]), cwd=ROOT, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def worker_kill(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)  # the main process and its children
        self.worker.wait(10)

    def esp_stats(self) -> dict:
        import httpx
        return httpx.get(f"http://127.0.0.1:{ESP_PORT}/stats", timeout=5).json()

    def tick(self) -> str:
        """What beat does every 15 minutes (here every TICK_EVERY seconds)."""
        from celery import Celery
        try:
            Celery(broker=REDIS).send_task("digest.tasks.dispatch_tick",
                                           queue=DRILL_ENV["CELERY_QUEUE"], retry=False)
            return "ok"
        except Exception as error:  # Redis down: beat's tick would fail the same way
            return type(error).__name__

    def stop(self) -> None:
        if self.worker.poll() is None:
            self.worker.terminate()
            self.worker.wait(60)
        self.esp.terminate()
        self.esp.wait(10)
        self.redis_stop()
        self.log.close()


def rows_by_status(edition) -> dict:
    from django.db.models import Count

    from digest.models import Delivery
    return dict(Delivery.objects.filter(edition=edition).order_by().values_list("status")
                .annotate(n=Count("pk")))


def drive(stack: Stack, readers: int, edition, faults: dict, beats: int = 1,
          limit: float = 900) -> float:
    """Tick (once per beat), then poll once a second until every row is final, firing each
    fault once when the ESP has accepted its threshold. Returns the wall time."""
    started = last_tick = time.perf_counter()
    for _ in range(beats):
        stack.tick()
    pending_faults = sorted(faults.items())
    while True:
        time.sleep(1)
        accepted = stack.esp_stats()["accepted"]
        while pending_faults and accepted >= pending_faults[0][0]:
            threshold, fault = pending_faults.pop(0)
            print(f"  at {accepted:,} accepted ({time.perf_counter() - started:.0f} s): "
                  f"{fault(stack)}", flush=True)
        if time.perf_counter() - last_tick >= TICK_EVERY:
            outcomes = [stack.tick() for _ in range(beats)]
            outcome = next((o for o in outcomes if o != "ok"), "ok")
            if outcome != "ok":
                print(f"  tick not sent: {outcome}", flush=True)
            last_tick = time.perf_counter()
        rows = rows_by_status(edition)
        open_rows = rows.get("pending", 0) + rows.get("sending", 0)
        if sum(rows.values()) == readers and open_rows == 0 and not pending_faults:
            return time.perf_counter() - started
        if time.perf_counter() - started > limit:
            raise RuntimeError(f"not done after {limit:.0f} s: {rows}")


def kill_and_restart(stack: Stack) -> str:
    stack.worker_kill()
    stack.worker_start()
    return "worker killed with SIGKILL, restarted"


def redis_restart(stack: Stack) -> str:
    stack.redis_stop()
    time.sleep(5)
    stack.redis_start()
    return "Redis stopped without saving (queue lost), started again 5 s later"


def check(results: list, claim: str, holds: bool) -> None:
    results.append(holds)
    print(f"  [{'ok' if holds else 'FAILED'}] {claim}", flush=True)


def drill(name: str, readers: int) -> bool:
    import django.utils.timezone

    from digest.models import Delivery
    from subscriptions.models import Subscriber

    now = django.utils.timezone.now()
    load(readers, 1000, now)
    edition = now.date()
    esp_args, faults, refused, env, beats = [], {}, 0, {}, 1
    if name == "kill":
        faults = {readers * share // 4: kill_and_restart for share in (1, 2, 3)}
        env = KILL_ENV
    elif name == "redis":
        faults = {readers * 2 // 5: redis_restart}
    elif name == "chaos":
        esp_args = ["--chaos", "500=20,429=10,slow=5", "--refuse-marker", REFUSED,
                    "--slow-seconds", "1.5"]  # three times the client's timeout
        doomed = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True)[::100])
        for pk in doomed:
            Subscriber.objects.filter(pk=pk).update(email=f"reader{pk}{REFUSED}@example.org")
        refused = len(doomed)
    elif name == "beats":
        beats = 2
    log = Path(ENV["PAPERBOY_VAR_DIR"]) / f"drill-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    print(f"\n== {name}: {readers:,} readers (worker log: {log.relative_to(ROOT)})", flush=True)
    stack = Stack(esp_args, log, env)
    try:
        time.sleep(4)  # worker and ESP up
        wall = drive(stack, readers, edition, faults, beats=beats)
        stats = stack.esp_stats()
    finally:
        stack.stop()
    rows = rows_by_status(edition)
    attempts = list(Delivery.objects.filter(edition=edition).values_list("attempts", flat=True))
    found = Delivery.objects.filter(edition=edition,
                                    reason__startswith="the ESP already had it").count()
    print(f"  done in {wall:.0f} s; rows {rows}; the ESP accepted {stats['accepted']:,} "
          f"messages for {stats['recipients']:,} readers ({stats['duplicates']} duplicates); "
          f"ESP answers {stats['answers']}; {stats['searches']} searches at the ESP found "
          f"{found} digests it already had; attempts per row: max {max(attempts)}, "
          f"mean {sum(attempts) / len(attempts):.2f}", flush=True)
    results: list[bool] = []
    # Readers whose filters matched nothing get a skipped row and no mail, by design.
    deliverable = readers - refused - rows.get("skipped", 0)
    check(results, f"every deliverable reader's digest reached the ESP "
                   f"({stats['recipients']:,} of {deliverable:,}; "
                   f"{rows.get('skipped', 0)} with nothing matched, {refused} refused)",
          stats["recipients"] == deliverable and rows.get("sent", 0) == deliverable)
    if name == "kill":
        # Only a send caught between the ESP's answer and the commit can repeat: at most
        # one per worker process per kill.
        # A digest the ESP took just before its sender died is found there, not sent again.
        check(results, f"no digest twice ({stats['duplicates']} duplicates)",
              stats["duplicates"] == 0)
    elif name == "beats":
        check(results, f"one row per reader ({sum(rows.values()):,} rows) and no digest twice "
                       f"({stats['duplicates']} duplicates)",
              sum(rows.values()) == readers and stats["duplicates"] == 0)
    elif name == "redis":
        check(results, f"no digest twice ({stats['duplicates']} duplicates)",
              stats["duplicates"] == 0)
    elif name == "chaos":
        slow = stats["answers"].get("slow", 0)
        check(results, f"no digest twice ({stats['duplicates']} duplicates): each of the "
                       f"{slow} answers slower than the timeout, which the ESP accepted anyway, "
                       f"was found at the ESP ({found})",
              stats["duplicates"] == 0 and found == slow)
        failed = Delivery.objects.filter(edition=edition, status="failed")
        reasons = {reason[:70] for reason in failed.values_list("reason", flat=True)}
        check(results, f"the {refused} refused readers failed at once with the ESP's reason "
                       f"({failed.count()} failed: {sorted(reasons)})",
              failed.count() == refused and failed.filter(attempts=1).count() == refused
              and all(r.startswith("AnymailRecipientsRefused") for r in reasons))
        check(results, f"retries bounded: at most 13 attempts per row (max {max(attempts)})",
              max(attempts) <= 13)
    return all(results)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drills", nargs="*", metavar="DRILL",
                        help=f"any of {', '.join(DRILLS)} (default: all)")
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args(argv)
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"no such drill: {', '.join(sorted(unknown))} (drills: {', '.join(DRILLS)})")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per poll
    os.environ.update(DRILL_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    recreate_database()
    import django

    django.setup()
    passed = [drill(name, args.subscribers) for name in args.drills or DRILLS]
    print(f"\n{sum(passed)} of {len(passed)} drills passed", flush=True)
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
