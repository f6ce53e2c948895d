"""The open-loop load of bench/paging.py: alert i is sent at start + i / rate.

Sends one load on raw keep-alive connections, gathers the pages it causes at the fake
receiver and reduces them to a `Phase`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from harness import busy_between, console, cpu_sample, process_cpu_s
from load import ProtocolError, RawConnection, Request, run_all
from paging_figures import ALERTMANAGER_DB, Outcome, Phase, Plan, ms, rate_of
from paging_receiver import ALERTMANAGER, PAGERDUTY, Arrival, Receiver

LEAD_S = 0.05  # the first alert is due this long after the threads are started
REQUEST_TIMEOUT_S = 120.0
# uvicorn closes a keep-alive connection idle for 5 s; a request sent just then would fail, so
# a connection idle this long (at low rates, with many connections) is opened anew first.
IDLE_S = 2.0
POLL_S = 0.1


@dataclass
class Shot:
    """One request of an open-loop load: when it was due, sent, answered, and the answer."""

    due: float
    started: float = 0.0
    answered: float = 0.0
    status: int = 0
    body: bytes = b""
    error: str = ""


@dataclass(frozen=True)
class Volley:
    """The shots of one load, and the client CPU it took."""

    shots: list[Shot]
    client_cpu_s: float

    def sent(self) -> list[Shot]:
        """The shots that were sent (all, unless the cut-off stopped the load)."""
        return [shot for shot in self.shots if shot.started]


def open_loop(
    address: tuple[str, int],
    requests: Sequence[Request],
    *,
    rate: float,
    connections: int,
    cutoff_s: float,
) -> Volley:
    """Send request i at `i / rate` s on `connections` keep-alive connections (raw sockets).

    A request waits for a free connection when every connection is busy: it is then sent
    late, and its lag shows it. Requests not sent within `cutoff_s` are not sent at all.
    """
    origin = time.perf_counter() + LEAD_S
    shots = [Shot(origin + index / rate) for index in range(len(requests))]
    counter = itertools.count()  # next() on a count is atomic under the GIL
    halt = threading.Event()
    deadline = origin + cutoff_s

    def worker() -> None:
        connection = RawConnection(*address, REQUEST_TIMEOUT_S)
        used = time.perf_counter()
        try:
            while (index := next(counter)) < len(shots) and not halt.is_set():
                shot = shots[index]
                if (wait := shot.due - time.perf_counter()) > 0:
                    time.sleep(wait)
                elif time.perf_counter() > deadline:
                    return
                if time.perf_counter() - used > IDLE_S:
                    connection.close()  # the server may be closing it: connect again
                shot.started = time.perf_counter()
                try:
                    shot.status, shot.body = connection.exchange(requests[index])
                except (OSError, ProtocolError, ValueError) as error:
                    shot.error = f"{type(error).__name__}: {error}"
                    connection.close()
                shot.answered = used = time.perf_counter()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    cpu_before = time.process_time()
    run_all(threads, halt)
    return Volley(shots, time.process_time() - cpu_before)


def gather(
    fake: Receiver, source: str, wanted: set[str], *, drain_s: float
) -> dict[str, list[Arrival]]:
    """Collect `source` arrivals from the receiver until every `wanted` key is in, or time is up."""
    found: dict[str, list[Arrival]] = {}
    deadline = time.perf_counter() + drain_s
    while True:
        for arrival in fake.take():
            if arrival.source == source:
                found.setdefault(arrival.key, []).append(arrival)
        if wanted <= found.keys() or time.perf_counter() > deadline:
            return found
        time.sleep(POLL_S)


@dataclass(frozen=True)
class Load:
    """The requests of one phase and the key each one's page will carry (None: from the answer)."""

    name: str
    rate: float
    requests: list[Request]
    keys: list[str] | None  # Alertmanager: the alertname; Fireline: read from the answer


@dataclass(frozen=True)
class Meter:
    """Where a phase's CPU is charged: the server's processes (and the receiver)."""

    server_pids: tuple[int, ...]
    receiver_pid: int

    def server_cpu_s(self) -> float:
        """The CPU seconds the server's processes have used so far."""
        return sum(process_cpu_s(pid) for pid in self.server_pids)


def run_phase(
    outcome: Outcome, *, target: str, load: Load, address: tuple[str, int], meter: Meter, plan: Plan
) -> tuple[Phase, dict[str, Shot], dict[str, Arrival]]:
    """Send one load, wait for its pages; return the phase and each page's shot and arrival."""
    fake = plan.fake
    source = ALERTMANAGER if target == ALERTMANAGER_DB else PAGERDUTY
    fake.take()  # forget anything left over
    console.print(
        f"[dim]{target}: {load.name}: {len(load.requests):,} alerts, one per request, "
        f"open loop at {load.rate:g}/s…[/]",
        highlight=False,
    )
    server_before, receiver_before = meter.server_cpu_s(), process_cpu_s(meter.receiver_pid)
    machine_before = cpu_sample()
    volley = open_loop(
        address,
        load.requests,
        rate=load.rate,
        connections=plan.connections,
        cutoff_s=plan.seconds * plan.cutoff,
    )
    shots = keyed_shots(outcome, target, load, volley)
    arrivals = gather(fake, source, set(shots), drain_s=plan.drain_s)
    server_cpu = meter.server_cpu_s() - server_before
    receiver_cpu = process_cpu_s(meter.receiver_pid) - receiver_before
    busy = busy_between(machine_before, cpu_sample())
    first = {key: min(found, key=lambda a: a.arrived) for key, found in arrivals.items()}
    delivered = [key for key in shots if key in first]
    missing = len(shots) - len(delivered)
    outcome.fail(
        f"{target} {load.name}: no page within {plan.drain_s:g} s",
        missing,
        ", ".join(sorted(set(shots) - first.keys())[:10]),
    )
    latencies = sorted(first[key].arrived - shots[key].started for key in delivered)
    from_due = sorted(first[key].arrived - shots[key].due for key in delivered)
    sent = volley.sent()
    posts = sorted(shot.answered - shot.started for shot in sent)
    arrived = sorted(first[key].arrived for key in delivered)
    phase = Phase(
        target=target,
        name=load.name,
        rate=load.rate,
        alerts=len(load.requests),
        sent=len(sent),
        sent_per_s=rate_of(len(sent), sent[0].started, sent[-1].started) if sent else 0.0,
        paged_per_s=rate_of(len(arrived), arrived[0], arrived[-1]) if arrived else 0.0,
        errors=sum(1 for shot in sent if shot.error or shot.status != 200),
        delivered=len(delivered),
        missing=missing,
        duplicates=sum(len(arrivals[key]) - 1 for key in delivered),
        p50_ms=ms(latencies, 0.50),
        p99_ms=ms(latencies, 0.99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        due_p99_ms=ms(from_due, 0.99),
        post_p50_ms=ms(posts, 0.50),
        post_p99_ms=ms(posts, 0.99),
        lag_max_ms=max((shot.started - shot.due for shot in sent), default=0.0) * 1000,
        server_cpu_ms=server_cpu * 1000 / max(1, len(sent)),
        receiver_cpu_us=receiver_cpu * 1e6 / max(1, sum(len(v) for v in arrivals.values())),
        client_cpu_s=volley.client_cpu_s,
        machine_busy=busy,
    )
    if len(sent) < len(load.requests):
        outcome.notes[f"{target} {load.name}"] = (
            f"{len(load.requests) - len(sent):,} alerts were not sent: the server fell so far "
            f"behind that they were not due before the cut-off ({plan.cutoff:g}× --seconds)"
        )
    return phase, shots, first


def keyed_shots(outcome: Outcome, target: str, load: Load, volley: Volley) -> dict[str, Shot]:
    """Return the sent shots by the key of their page; count the failed ones."""
    keyed: dict[str, Shot] = {}
    for index, shot in enumerate(volley.shots):
        if not shot.started:
            continue
        if shot.error:
            outcome.fail(f"{target} {load.name}: {shot.error.split(':')[0]}", 1, shot.error)
            continue
        if shot.status != 200:
            text = shot.body.decode("utf-8", "replace")
            outcome.fail(f"{target} {load.name}: POST {shot.status}", 1, text)
            continue
        if load.keys is not None:
            keyed[load.keys[index]] = shot
            continue
        opened = orjson.loads(shot.body).get("opened") or []
        if len(opened) != 1:
            outcome.fail(
                f"{target} {load.name}: alert opened {len(opened)} incidents",
                1,
                shot.body.decode("utf-8", "replace"),
            )
            continue
        keyed[opened[0]] = shot
    return keyed
