"""A cheap load generator: threads, each with one keep-alive HTTP/1.1 connection.

The client shares two cores with the server it measures, so every microsecond it spends is
taken from the server. Requests are prepared beforehand. The default `raw` connection writes
their bytes and reads the answer with `recv`, parsing only the status line and
`Content-Length`; that costs a fraction of what `http.client` or `httpx` do per request, which
are there to compare with (`--client`; figures in bench/README.md). The raw connection does
not read `Transfer-Encoding: chunked`: Fireline (uvicorn with a JSONResponse) and
Alertmanager both send a length.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

RECV_BYTES = 65536
REQUEST_TIMEOUT_S = 120.0
HEADER_END = b"\r\n\r\n"
LENGTH_HEADER = b"\r\ncontent-length:"
CLOSE_HEADER = b"\r\nconnection: close"


class ProtocolError(Exception):
    """The server answered something this small client does not read."""


@dataclass(frozen=True)
class Request:
    """A prepared request: its parts, and the bytes the raw connection sends."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]
    raw: bytes

    @classmethod
    def of(cls, method: str, host: str, path: str, body: bytes, headers: dict[str, str]) -> Request:
        """Prepare a request; `Content-Length` is added when there is a body."""
        fields = {"Host": host, **headers}
        if body or method == "POST":
            fields["Content-Length"] = str(len(body))
        head = "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        raw = f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode("ascii") + body
        return cls(method, path, body, headers, raw)


class Connection(Protocol):
    """One keep-alive connection a worker thread sends its requests on."""

    def exchange(self, request: Request) -> tuple[int, bytes]:
        """Send a request; return the status and the body of the answer."""
        ...

    def close(self) -> None:
        """Close the connection (the next exchange opens a new one)."""
        ...


class RawConnection:
    """A socket that writes prepared bytes; reconnects when the server has closed it."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self._address = (host, port)
        self._timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._buffer = b""

    def exchange(self, request: Request) -> tuple[int, bytes]:
        """Send a prepared request; return the status and the body of the answer."""
        sock = self._sock or self._connect()
        sock.sendall(request.raw)
        return self._read_answer(sock)

    def close(self) -> None:
        """Close the socket (the next exchange opens a new one)."""
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buffer = None, b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=self._timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        return sock

    def _fill(self, sock: socket.socket) -> None:
        chunk = sock.recv(RECV_BYTES)
        if not chunk:
            self.close()
            raise ConnectionResetError("the server closed the connection")
        self._buffer += chunk

    def _read_answer(self, sock: socket.socket) -> tuple[int, bytes]:
        while (end := self._buffer.find(HEADER_END)) < 0:
            self._fill(sock)
        head = self._buffer[:end].lower()
        found = head.find(LENGTH_HEADER)
        if found < 0:
            raise ProtocolError(f"an answer without Content-Length: {head[:200]!r}")
        stop = head.find(b"\r\n", found + 2)
        length = int(head[found + len(LENGTH_HEADER) : stop if stop > 0 else end])
        start = end + len(HEADER_END)
        while len(self._buffer) < start + length:
            self._fill(sock)
        body = self._buffer[start : start + length]
        self._buffer = self._buffer[start + length :]
        if CLOSE_HEADER in head:
            self.close()
        return int(head[9:12]), body


class StdlibConnection:
    """`http.client.HTTPConnection`, kept alive."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout_s)

    def exchange(self, request: Request) -> tuple[int, bytes]:
        """Send a request; return the status and the body of the answer."""
        self._connection.request(
            request.method, request.path, body=request.body or None, headers=request.headers
        )
        answer = self._connection.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


class HttpxConnection:
    """A sync `httpx.Client` of one connection, as bench/incidents.py uses."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._client = httpx.Client(
            base_url=f"http://{host}:{port}", limits=limits, timeout=timeout_s, trust_env=False
        )

    def exchange(self, request: Request) -> tuple[int, bytes]:
        """Send a request; return the status and the body of the answer."""
        answer = self._client.request(
            request.method, request.path, content=request.body or None, headers=request.headers
        )
        return answer.status_code, answer.content

    def close(self) -> None:
        """Close the client."""
        self._client.close()


CLIENTS: dict[str, Callable[[str, int, float], Connection]] = {
    "raw": RawConnection,
    "http.client": StdlibConnection,
    "httpx": HttpxConnection,
}


@dataclass
class Samples:
    """Latencies in seconds per series, and the failures seen (one thread's, or merged)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, series: str, seconds: float) -> None:
        """Record one timed request of `series`."""
        self.latencies.setdefault(series, []).append(seconds)

    def fail(self, problem: str, detail: str) -> None:
        """Record one failure, e.g. 'post 503', with an example of what came back."""
        self.errors[problem] += 1
        self.examples.setdefault(problem, detail[:300])

    def merge(self, other: Samples) -> None:
        """Add another thread's samples to these."""
        for series, values in other.latencies.items():
            self.latencies.setdefault(series, []).extend(values)
        self.errors.update(other.errors)
        for problem, detail in other.examples.items():
            self.examples.setdefault(problem, detail)


def timed(
    connection: Connection, request: Request, samples: Samples, series: str, expect: int = 200
) -> bytes | None:
    """Send `request`, record its latency under `series`; return the body, None on failure."""
    started = time.perf_counter()
    try:
        status, body = connection.exchange(request)
    except (
        OSError,
        ProtocolError,
        ValueError,
        http.client.HTTPException,
        httpx.HTTPError,
    ) as error:
        samples.add(series, time.perf_counter() - started)
        samples.fail(f"{series} {type(error).__name__}", str(error))
        connection.close()
        return None
    samples.add(series, time.perf_counter() - started)
    if status != expect:
        samples.fail(f"{series} {status}", body.decode("utf-8", "replace"))
        return None
    return body


# One unit of work: (connection, index of the job, this thread's samples) -> None.
Step = Callable[[Connection, int, Samples], None]


@dataclass(frozen=True)
class Run:
    """What a run of the driver measured."""

    samples: Samples
    wall_s: float
    client_cpu_s: float


def drive(
    address: tuple[str, int], jobs: int, concurrency: int, step: Step, client: str = "raw"
) -> Run:
    """Run `step` for jobs 0..jobs-1 on `concurrency` threads, each with its own connection."""
    counter = itertools.count()  # next() on a count is atomic under the GIL
    per_thread = [Samples() for _ in range(min(concurrency, jobs))]
    halt = threading.Event()

    def worker(samples: Samples) -> None:
        connection = CLIENTS[client](*address, REQUEST_TIMEOUT_S)
        try:
            while (index := next(counter)) < jobs and not halt.is_set():
                step(connection, index, samples)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in per_thread]
    cpu_before = time.process_time()
    started = time.perf_counter()
    run_all(threads, halt)
    wall = time.perf_counter() - started
    merged = Samples()
    for samples in per_thread:
        merged.merge(samples)
    return Run(merged, wall, time.process_time() - cpu_before)


def run_all(threads: list[threading.Thread], halt: threading.Event) -> None:
    """Start the load's threads and wait for them; on Ctrl-C, set `halt` so that they stop."""
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: let the threads finish their request and stop
        halt.set()
        raise


def send_each(requests: list[Request], series: str) -> Step:
    """Return a step that sends request number `index` and expects 200."""

    def step(connection: Connection, index: int, samples: Samples) -> None:
        timed(connection, requests[index], samples, series)

    return step
