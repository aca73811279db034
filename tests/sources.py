"""Helpers that stand in for the outside internet: httpx.MockTransport serving tests/data files."""

from pathlib import Path

import httpx

DATA = Path(__file__).resolve().parent / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


class FakeInternet:
    """Answers each request with the next queued response for its host; records every request."""

    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.queues: dict[str, list] = {}

    def queue(self, host: str, *responses) -> None:
        self.queues.setdefault(host, []).extend(responses)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.queues.get(request.url.host) or []
        if not queue:
            raise httpx.ConnectError(f"no route to {request.url.host}", request=request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer

    def client(self, **headers) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler),
                            headers={"User-Agent": "Paperboy/0.1 (+http://testserver)", **headers})


def json_file(name: str, status: int = 200, **headers) -> httpx.Response:
    return httpx.Response(status, content=data(name), headers={
        "Content-Type": "application/json", **headers})


def atom_file(name: str) -> httpx.Response:
    return httpx.Response(200, content=data(name), headers={"Content-Type": "application/atom+xml"})
