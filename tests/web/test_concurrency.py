"""Responders racing each other over real HTTP: no lost update, no double event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from fireline.services.audit import verify_timelines
from fireline.services.container import Container

INCIDENTS = "/api/v1/incidents"
RACES = 8


def _client(url: str, secret: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def test_two_simultaneous_acks_make_one_event_and_one_409(
    live_url: str,
    make_token: Callable[..., str],
    make_incident: Callable[..., dict[str, Any]],
) -> None:
    clients = [_client(live_url, make_token("responder", name=n)) for n in ("ana", "ben")]
    refs = [make_incident(title=f"race {n}")["ref"] for n in range(RACES)]
    for ref in refs:
        barrier = threading.Barrier(2)

        def ack(client: httpx.Client, ref: str = ref, barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            return client.post(f"{INCIDENTS}/{ref}/acknowledge").status_code

        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(ack, clients))
        assert codes == [200, 409], ref
        events = clients[0].get(f"{INCIDENTS}/{ref}/timeline").json()["items"]
        assert [e["kind"] for e in events].count("incident.acknowledge") == 1
        incident = clients[0].get(f"{INCIDENTS}/{ref}").json()
        assert (incident["status"], incident["version"]) == ("acknowledged", 2)
    for client in clients:
        client.close()


def test_fifty_incidents_in_fifty_regions_worked_at_once_all_end_right(
    live_url: str,
    container: Container,
    make_token: Callable[..., str],
    make_incident: Callable[..., dict[str, Any]],
) -> None:
    client = _client(live_url, make_token("responder", name="crew"))
    refs = [make_incident(regions=[f"region-{n}"], title=f"outage {n}")["ref"] for n in range(50)]

    def work(ref: str) -> list[int]:
        codes = [client.post(f"{INCIDENTS}/{ref}/acknowledge").status_code]
        codes.append(client.post(f"{INCIDENTS}/{ref}/notes", json={"text": "on it"}).status_code)
        codes.append(
            client.post(f"{INCIDENTS}/{ref}/jobs", json={"job_ids": [f"{ref}-job"]}).status_code
        )
        codes += [
            client.post(f"{INCIDENTS}/{ref}/{a}").status_code for a in ("mitigate", "resolve")
        ]
        return codes

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, refs))
    assert all(codes == [200, 201, 200, 200, 200] for codes in results), results
    for n, ref in enumerate(refs):
        incident = client.get(f"{INCIDENTS}/{ref}").json()
        assert (incident["status"], incident["version"], incident["regions"]) == (
            "resolved",
            4,
            [f"region-{n}"],
        )
        kinds = [e["kind"] for e in client.get(f"{INCIDENTS}/{ref}/timeline").json()["items"]]
        assert kinds == [
            "incident.opened",
            "incident.acknowledge",
            "note.added",
            "jobs.linked",
            "incident.mitigate",
            "incident.resolve",
        ]
    resolved = client.get(INCIDENTS, params={"status": "resolved", "limit": 100}).json()
    assert len(resolved["items"]) == 50
    report = verify_timelines(container.uow)
    assert report.intact
    assert report.events == 300
    client.close()
