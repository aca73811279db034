"""A small fake ESP speaking Postmark's API on 127.0.0.1, for tests and the load stack.

It records every message it accepts and can be told to answer 500, 429 (with Retry-After),
422, too late (having accepted the message) or not at all; like Postmark it finds sent
messages by their metadata (GET /messages/outbound?metadata_KEY=VALUE). Anymail's real
Postmark backend talks to it (POSTMARK_API_URL).

    python -m digest.devtools.fake_esp --port 8025 --record var/esp.jsonl
"""

import argparse
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

TOKEN = "fake-postmark-token"


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that vanished mid-request (a killed worker) is no news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeESP:
    def __init__(self, *, token: str = TOKEN, port: int = 0, record: Path | None = None,
                 keep: bool = True):
        self.token = token
        self.keep = keep  # keep every payload in memory (tests); a benchmark only counts
        self.accepted = 0
        self.recipients: Counter = Counter()  # accepted messages per To address
        self.by_metadata: dict[tuple[str, str], list[str]] = {}  # (key, value) -> message ids
        self.searches = 0  # GET /messages/outbound requests
        self.search_script: deque = deque()  # answers to the next searches: "500", "401"
        self.refuse_marker = ""  # To addresses holding this get a permanent 422
        self.slow_seconds = 3.0  # how long a "slow" (accepted) or "stall" (not) answer takes
        self.retry_after = "1"  # a 429's Retry-After: seconds or an HTTP-date
        self.messages: list[dict] = []  # accepted payloads, in order
        self.answers: list[str] = []  # what each request got: ok, 500, 429, 422, slow, 401
        self.script: deque = deque()  # answers to give next, before the chaos
        self.chaos: Callable[[int], str] | None = None  # request number -> answer
        self.record = record
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "FakeESP":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_answer(self) -> str:
        with self.lock:
            number = len(self.answers)
            if self.script:
                answer = self.script.popleft()
            elif self.chaos:
                answer = self.chaos(number)
            else:
                answer = "ok"
            self.answers.append(answer)
            return answer

    def accept(self, payload: dict) -> str:
        message_id = str(uuid.uuid4())
        with self.lock:
            self.accepted += 1
            self.recipients[payload.get("To", "")] += 1
            for key, value in (payload.get("Metadata") or {}).items():
                self.by_metadata.setdefault((key, str(value)), []).append(message_id)
            if self.keep:
                self.messages.append({**payload, "MessageID": message_id})
            if self.record:
                with self.record.open("a") as out:
                    out.write(json.dumps({**payload, "MessageID": message_id}) + "\n")
        return message_id

    def _handler(self):
        esp = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real ESP's API offers
            disable_nagle_algorithm = True  # else small replies wait on delayed ACKs (40 ms)

            def log_message(self, *args):  # quiet
                pass

            def reply(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if path.rstrip("/") == "/messages/outbound":
                    return self.search(parse_qs(query))
                if path.rstrip("/") != "/stats":
                    return self.reply(404, {"Message": "Not here"})
                with esp.lock:
                    answers = {a: esp.answers.count(a) for a in set(esp.answers)}
                    repeated = sum(n - 1 for n in esp.recipients.values())
                    self.reply(200, {"accepted": esp.accepted, "answers": answers,
                                     "recipients": len(esp.recipients),
                                     "duplicates": repeated, "searches": esp.searches})

            def search(self, query: dict[str, list[str]]):
                """Postmark's outbound message search, by one metadata field (all we need)."""
                with esp.lock:
                    esp.searches += 1
                    scripted = esp.search_script.popleft() if esp.search_script else "ok"
                if scripted == "500":
                    return self.reply(500, {"ErrorCode": 1, "Message": "Internal error"})
                if scripted == "401" or self.headers.get("X-Postmark-Server-Token") != esp.token:
                    return self.reply(401, {"ErrorCode": 10, "Message": "Bad token"})
                if "count" not in query or "offset" not in query:
                    return self.reply(422, {"ErrorCode": 600, "Message": "Count is required."})
                metadata = [(name.removeprefix("metadata_"), values[0])
                            for name, values in query.items() if name.startswith("metadata_")]
                with esp.lock:
                    found = esp.by_metadata.get(metadata[0], []) if metadata else []
                    count = int(query["count"][0])
                    self.reply(200, {"TotalCount": len(found), "Messages": [
                        {"MessageID": message_id, "Status": "Sent"}
                        for message_id in reversed(found[-count:])]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:  # a client killed mid-request leaves a cut-off body
                    payload = json.loads(self.rfile.read(length))
                except ValueError:
                    return self.reply(400, {"ErrorCode": 402,
                                            "Message": "Received invalid JSON input."})
                if self.headers.get("X-Postmark-Server-Token") != esp.token:
                    esp.answers.append("401")
                    return self.reply(401, {"ErrorCode": 10, "Message": "Bad token"})
                if self.path.rstrip("/") != "/email":
                    return self.reply(404, {"ErrorCode": 404, "Message": "Not here"})
                if esp.refuse_marker and esp.refuse_marker in payload.get("To", ""):
                    esp.answers.append("422")
                    # Postmark's own words: Anymail reads the refused addresses from them.
                    return self.reply(422, {"ErrorCode": 406, "Message": (
                        "You tried to send to recipient(s) that have been marked as "
                        f"inactive. Found inactive addresses: {payload['To']}. Inactive "
                        "recipients are ones that have generated a hard bounce, a spam "
                        "complaint, or a manual suppression.")})
                answer = esp.next_answer()
                if answer == "500":
                    return self.reply(500, {"ErrorCode": 1, "Message": "Internal error"})
                if answer == "429":
                    return self.reply(429, {"ErrorCode": 429, "Message": "Slow down"},
                                      {"Retry-After": esp.retry_after})
                if answer == "422":
                    return self.reply(422, {"ErrorCode": 300,
                                            "Message": "Invalid 'From' address: 'x'."})
                if answer == "stall":  # no answer in time, and nothing taken
                    time.sleep(esp.slow_seconds)
                    return self.reply(503, {"ErrorCode": 1, "Message": "Gave up"})
                message_id = esp.accept(payload)
                if answer == "slow":  # taken, but the answer comes after the client gave up
                    time.sleep(esp.slow_seconds)
                self.reply(200, {"To": payload["To"], "SubmittedAt": "2026-11-23T08:00:00Z",
                                 "MessageID": message_id, "ErrorCode": 0, "Message": "OK"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--record", type=Path, help="append accepted messages as JSON lines")
    parser.add_argument("--count-only", action="store_true",
                        help="keep no messages, only count them (GET /stats)")
    parser.add_argument("--chaos", default="", metavar="500=20,429=10,slow=5",
                        help="percent of requests to answer each way, at random")
    parser.add_argument("--refuse-marker", default="",
                        help="answer 422 to every message whose To holds this text")
    parser.add_argument("--slow-seconds", type=float, default=3.0,
                        help="how long a slow answer takes (the message is accepted first)")
    args = parser.parse_args()
    esp = FakeESP(port=args.port, record=args.record, keep=not args.count_only)
    esp.refuse_marker = args.refuse_marker
    esp.slow_seconds = args.slow_seconds
    if args.chaos:
        weights = {k: float(v) for k, v in (part.split("=") for part in args.chaos.split(","))}
        answers = [*weights, "ok"]
        odds = [*weights.values(), max(0.0, 100 - sum(weights.values()))]
        chance = random.Random(8)
        esp.chaos = lambda number: chance.choices(answers, odds)[0]
    print(f"fake ESP (Postmark API) on {esp.url}, token {esp.token}", flush=True)
    esp.server.serve_forever()


if __name__ == "__main__":
    main()
