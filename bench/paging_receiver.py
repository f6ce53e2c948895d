"""A fake PagerDuty and webhook receiver for bench/paging.py: answers at once, notes arrivals.

Run as its own process (`python bench/paging_receiver.py --port N`), so that neither the
load generator's threads nor Fireline's server share its interpreter lock: a page is
timestamped (`time.perf_counter()`, i.e. CLOCK_MONOTONIC, the same clock as the benchmark
process) as soon as its request has been read whole, before anything else is done with it.

- `POST /v2/enqueue` is PagerDuty's Events API v2: it answers 202 with PagerDuty's body
  (`{"status": "success", "message": "Event processed", "dedup_key": ...}`) and records
  `("pagerduty", dedup_key, event_action)`.
- `POST /alertmanager` takes Alertmanager's webhook and records `("alertmanager",
  alertname, status)` for each alert it carries.
- `GET /_arrivals` returns everything recorded since the previous call and forgets it:
  `{"arrivals": [[source, key, action, arrived, handled_s], ...]}` where `arrived` is the
  perf_counter reading and `handled_s` how long the receiver spent between reading the request
  and having written its answer (its own overhead). `GET /_ready` answers 200.

One HTTP/1.1 parser of a few lines on asyncio (uvloop when installed): requests with a
`Content-Length`, keep-alive, nothing else. The client side is `Receiver` below.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from harness import BenchError, Served, free_port, stop, wait_ready

PAGERDUTY_PATH = "/v2/enqueue"
ALERTMANAGER_PATH = "/alertmanager"
HEADER_END = b"\r\n\r\n"
MAX_HEADER = 65536
PAGERDUTY, ALERTMANAGER = "pagerduty", "alertmanager"

Record = tuple[str, str, str, float, float]  # source, key, action, arrived, handled_s


# --- the server (its own process) -----------------------------------------------------------


def answer(status: str, body: bytes, *, close: bool) -> bytes:
    """Return the bytes of an HTTP/1.1 answer with a JSON body."""
    lines = [f"HTTP/1.1 {status}", "content-type: application/json", f"content-length: {len(body)}"]
    if close:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def pagerduty(body: bytes) -> tuple[list[tuple[str, str, str]], bytes, str]:
    """Read an Events v2 event: what to record, the 202 body PagerDuty sends, the status."""
    try:
        event = orjson.loads(body)
        key, action = str(event["dedup_key"]), str(event["event_action"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return (
            [],
            b'{"status":"invalid event","message":"Event object is invalid"}',
            "400 Bad Request",
        )
    reply = {"status": "success", "message": "Event processed", "dedup_key": key}
    return [(PAGERDUTY, key, action)], orjson.dumps(reply), "202 Accepted"


def alertmanager(body: bytes) -> tuple[list[tuple[str, str, str]], bytes, str]:
    """Read an Alertmanager webhook: one record per alert (its alertname and status)."""
    try:
        alerts = orjson.loads(body)["alerts"]
        found = [(ALERTMANAGER, str(a["labels"]["alertname"]), str(a["status"])) for a in alerts]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return [], b'{"error":"not an Alertmanager webhook"}', "400 Bad Request"
    return found, b"{}", "200 OK"


class Recorder:
    """The receiver's state: what arrived, not yet fetched."""

    def __init__(self) -> None:
        self.arrivals: list[Record] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection until the peer closes it."""
        try:
            while True:
                head = await reader.readuntil(HEADER_END)
                lines = head[: -len(HEADER_END)].split(b"\r\n")
                method, path = lines[0].split(b" ")[:2]
                length, close = 0, False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                body = await reader.readexactly(length) if length else b""
                arrived = time.perf_counter()
                found, reply = self.handle(method, path.decode("latin-1"), body)
                writer.write(answer(reply[1], reply[0], close=close))
                await writer.drain()
                handled = time.perf_counter() - arrived
                self.arrivals += [(*f, arrived, handled) for f in found]
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def handle(
        self, method: bytes, path: str, body: bytes
    ) -> tuple[list[tuple[str, str, str]], tuple[bytes, str]]:
        """Route one request; return what to record and (body, status) of the answer."""
        if method == b"POST" and path == PAGERDUTY_PATH:
            found, reply, status = pagerduty(body)
            return found, (reply, status)
        if method == b"POST" and path == ALERTMANAGER_PATH:
            found, reply, status = alertmanager(body)
            return found, (reply, status)
        if method == b"GET" and path == "/_arrivals":
            taken, self.arrivals = self.arrivals, []
            return [], (orjson.dumps({"arrivals": taken}), "200 OK")
        if method == b"GET" and path == "/_ready":
            return [], (b"{}", "200 OK")
        return [], (b'{"error":"not found"}', "404 Not Found")


async def main_async(port: int) -> None:
    """Listen on loopback `port` until killed."""
    recorder = Recorder()
    server = await asyncio.start_server(
        recorder.serve, "127.0.0.1", port, limit=MAX_HEADER, backlog=1024
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse `--port` and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:
        import uvloop  # noqa: PLC0415 - optional: a faster event loop when installed

        uvloop.run(main_async(port))
    except ImportError:
        asyncio.run(main_async(port))


# --- the client side (in the benchmark process) ---------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One page (or Alertmanager notification) as the receiver saw it."""

    source: str
    key: str
    action: str
    arrived: float  # perf_counter, comparable with the benchmark's
    handled_s: float


class Receiver:
    """A running receiver: its URLs, and the arrivals fetched from it so far."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self._client = httpx.Client(base_url=served.url, timeout=30.0, trust_env=False)

    @property
    def pagerduty_url(self) -> str:
        """The Events API URL to give Fireline's PagerDuty channel."""
        return self.served.url + PAGERDUTY_PATH

    @property
    def alertmanager_url(self) -> str:
        """The webhook URL to give Alertmanager's receiver."""
        return self.served.url + ALERTMANAGER_PATH

    def take(self) -> list[Arrival]:
        """Return what arrived since the last call."""
        answer = self._client.get("/_arrivals")
        answer.raise_for_status()
        return [Arrival(*row) for row in orjson.loads(answer.content)["arrivals"]]

    def close(self) -> None:
        """Close the control connection."""
        self._client.close()


@contextlib.contextmanager
def receiver(directory: Path) -> Iterator[Receiver]:
    """Start the receiver process on a free port; yield it once ready; stop it."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "receiver.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, __file__, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process, log, path="/_ready")
        except BenchError as error:
            raise BenchError(f"the fake PagerDuty receiver: {error}") from error
        client = Receiver(Served(url, process))
        try:
            yield client
        finally:
            client.close()
    finally:
        stop(process)


if __name__ == "__main__":
    main()
