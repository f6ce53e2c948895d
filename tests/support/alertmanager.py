"""A real Prometheus Alertmanager for tests: a config from parameters, a process on loopback.

    config = AlertmanagerConfig(webhook=WebhookReceiver(url=f"{url}/hook", bearer_token="t"))
    with Alertmanager(config, directory=tmp_path / "alertmanager") as am:
        am.post_alerts([firing_alert({"alertname": "QueueSaturated"}, now=clock.now())])
        ...  # wait for the notification; on a timeout, fail with am.explain("what was missing")

The binary is the Debian package `prometheus-alertmanager` (`make tools` installs it). Without
it a test skips with the reason, unless FIRELINE_TEST_REQUIRE_ALERTMANAGER=1 (set by `.ci/run`),
which makes it fail. Each instance has its own free port, storage and log, and clustering off,
so it never meets the package's own service (:9093/:9094) nor another test's Alertmanager.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest
import yaml

BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's name
REQUIRE_ENV = "FIRELINE_TEST_REQUIRE_ALERTMANAGER"
SKIP_REASON = (
    "Alertmanager tests skipped: prometheus-alertmanager is not on PATH "
    "(install it with `make tools`)"
)
WEBHOOK_RECEIVER = "fireline.webhook"
PAGERDUTY_RECEIVER = "fireline.pagerduty"
LOG_TAIL_LINES = 40
POLL_S = 0.02
READY_POLL_TIMEOUT_S = 1.0  # per probe; the deadline for readiness is Alertmanager.ready_timeout
PORT_ATTEMPTS = 3  # a free port can be taken between our probe and Alertmanager's bind
STOP_TIMEOUT_S = 10.0


def alertmanager_binary() -> str:
    """Return the Alertmanager executable; skip the test without one (fail when required)."""
    for name in BINARY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {SKIP_REASON.split(': ', 1)[1]}", pytrace=False)
    pytest.skip(SKIP_REASON)


def free_port() -> int:
    """Return a loopback port that was free a moment ago: bound by the OS, noted, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def rfc3339(instant: datetime) -> str:
    """Format an aware instant the way Prometheus posts it: UTC, milliseconds, `Z`."""
    text = instant.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def firing_alert(
    labels: Mapping[str, str],
    *,
    now: datetime,
    annotations: Mapping[str, str] | None = None,
    starts_at: datetime | None = None,
    lasts: timedelta = timedelta(minutes=4),
    generator_url: str = "http://prometheus.test:9090/graph?g0.expr=up",
) -> dict[str, Any]:
    """Return an alert as Prometheus posts it while firing: `endsAt` `lasts` after `now`."""
    return {
        "labels": dict(labels),
        "annotations": dict(annotations or {}),
        "startsAt": rfc3339(starts_at or now),
        "endsAt": rfc3339(now + lasts),
        "generatorURL": generator_url,
    }


def resolved_alert(alert: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Return `alert` resolved: `endsAt` just before `now` (but never before `startsAt`).

    An `endsAt` equal to Alertmanager's own clock would count as still firing when merged
    with the firing copy, so it is set a millisecond into the past.
    """
    starts_at = datetime.fromisoformat(alert["startsAt"])
    return {**alert, "endsAt": rfc3339(max(now - timedelta(milliseconds=1), starts_at))}


def go_duration(duration: timedelta) -> str:
    """Render a duration in Alertmanager's syntax with the largest exact unit: `1h`, `250ms`."""
    millis = duration // timedelta(milliseconds=1)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


@dataclass(frozen=True)
class WebhookReceiver:
    """A `webhook_configs` receiver posting to `url`, with a Bearer token when given."""

    url: str
    bearer_token: str | None = None

    def render(self) -> dict[str, Any]:
        """Return the receiver's entry of `receivers:`."""
        config: dict[str, Any] = {"url": self.url, "send_resolved": True}
        if self.bearer_token is not None:
            authorization = {"type": "Bearer", "credentials": self.bearer_token}
            config["http_config"] = {"authorization": authorization}
        return {"name": WEBHOOK_RECEIVER, "webhook_configs": [config]}


@dataclass(frozen=True)
class PagerDutyReceiver:
    """A `pagerduty_configs` (Events v2) receiver sending to `base_url` + `/v2/enqueue`."""

    base_url: str
    routing_key: str
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The Events v2 endpoint Alertmanager posts to."""
        return f"{self.base_url.rstrip('/')}/v2/enqueue"

    def render(self) -> dict[str, Any]:
        """Return the receiver's entry of `receivers:`."""
        config: dict[str, Any] = {
            "routing_key": self.routing_key,
            "url": self.url,
            "send_resolved": True,
        }
        if self.details:
            config["details"] = dict(self.details)
        return {"name": PAGERDUTY_RECEIVER, "pagerduty_configs": [config]}


@dataclass(frozen=True)
class AlertmanagerConfig:
    """What goes into alertmanager.yml. Every alert goes to every receiver given.

    Version 0.25 accepts `group_wait: 0s` but no zero `group_interval`. The 100 ms defaults
    keep tests fast and still let the alerts of one POST share their first notification
    (with 0s a group may flush before the POST's second alert has joined it).
    """

    webhook: WebhookReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    group_by: tuple[str, ...] = ("alertname", "region")
    group_wait: timedelta = timedelta(milliseconds=100)
    group_interval: timedelta = timedelta(milliseconds=100)
    repeat_interval: timedelta = timedelta(hours=1)
    resolve_timeout: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.webhook is None and self.pagerduty is None:
            raise ValueError("an Alertmanager config needs a webhook or a pagerduty receiver")
        if self.group_interval < timedelta(milliseconds=1):
            raise ValueError("Alertmanager rejects a zero group_interval")

    def render(self) -> str:
        """Return the alertmanager.yml text."""
        receivers = [r.render() for r in (self.webhook, self.pagerduty) if r is not None]
        names = [receiver["name"] for receiver in receivers]
        route: dict[str, Any] = {
            "receiver": names[0],
            "group_by": list(self.group_by),
            "group_wait": go_duration(self.group_wait),
            "group_interval": go_duration(self.group_interval),
            "repeat_interval": go_duration(self.repeat_interval),
        }
        if len(names) > 1:
            route["routes"] = [{"receiver": name, "continue": True} for name in names]
        document = {
            "global": {"resolve_timeout": go_duration(self.resolve_timeout)},
            "route": route,
            "receivers": receivers,
        }
        return "# Written by tests/support/alertmanager.py\n" + yaml.safe_dump(
            document, sort_keys=False
        )


def check_config(path: Path) -> None:
    """Validate `path` with `amtool check-config` when amtool is installed."""
    amtool = shutil.which("amtool")
    if amtool is None:
        return  # Alertmanager itself refuses a bad file; its log then says why
    result = subprocess.run(
        [amtool, "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"amtool check-config rejected {path}:\n{result.stdout}{result.stderr}\n"
            f"{path.read_text(encoding='utf-8')}"
        )


class Alertmanager:
    """A running `prometheus-alertmanager` with its own port, storage and log under `directory`."""

    def __init__(
        self,
        config: AlertmanagerConfig,
        *,
        directory: Path,
        log_level: str = "info",
        ready_timeout: timedelta = timedelta(seconds=20),
    ) -> None:
        self.config = config
        self.directory = directory
        self.config_path = directory / "alertmanager.yml"
        self.log_path = directory / "alertmanager.log"
        self.log_level = log_level
        self.ready_timeout = ready_timeout
        self._url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._http: httpx.Client | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. `http://127.0.0.1:40123` (also its `--web.external-url`)."""
        if self._url is None:
            raise RuntimeError("Alertmanager is not running: use it as a context manager")
        return self._url

    def __enter__(self) -> Alertmanager:
        binary = alertmanager_binary()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config.render(), encoding="utf-8")
        check_config(self.config_path)
        for _ in range(PORT_ATTEMPTS):
            if self._start(binary, free_port()):
                return self
        raise RuntimeError(self.explain("Alertmanager could not bind a free loopback port"))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is not None and str(self.log_path) not in str(exc):  # not explained yet
            exc.add_note(self.explain("While Alertmanager was running."))

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """POST `alerts` to `/api/v2/alerts`; fail with Alertmanager's answer unless 200."""
        response = self._client().post("/api/v2/alerts", json=list(alerts))
        if response.status_code != httpx.codes.OK:
            raise AssertionError(
                self.explain(
                    f"POST /api/v2/alerts answered {response.status_code}: {response.text}"
                )
            )

    def log_text(self) -> str:
        """Return everything Alertmanager has logged so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def explain(self, message: str) -> str:
        """Return `message` followed by the log's path and its last lines, for a failure."""
        tail = "\n".join(self.log_text().splitlines()[-LOG_TAIL_LINES:])
        return f"{message}\nAlertmanager log {self.log_path} (last lines):\n{tail}"

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and close the HTTP client; idempotent."""
        if self._http is not None:
            self._http.close()
            self._http = None
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _client(self) -> httpx.Client:
        if self._http is None:
            raise RuntimeError("Alertmanager is not running: use it as a context manager")
        return self._http

    def _start(self, binary: str, port: int) -> bool:
        """Start on `port` and wait until ready; False when the port turned out to be taken."""
        url = f"http://127.0.0.1:{port}"
        argv = [
            binary,
            f"--config.file={self.config_path}",
            f"--storage.path={self.directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={url}",
            "--cluster.listen-address=",  # no gossip port, no peers
            f"--log.level={self.log_level}",
        ]
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(argv)}\n".encode())
            log.flush()
            log_start = log.tell()
            self._process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self._url = url
        self._http = httpx.Client(base_url=url, timeout=5.0, trust_env=False)
        if self._wait_ready():
            return True
        self.stop()
        self._url = None
        with self.log_path.open("rb") as log:
            log.seek(log_start)
            if b"address already in use" in log.read():
                return False
        raise RuntimeError(self.explain("Alertmanager exited before it was ready"))

    def _wait_ready(self) -> bool:
        """Poll `GET /-/ready` until 200; False if the process exits, error past the deadline."""
        assert self._process is not None
        deadline = time.monotonic() + self.ready_timeout.total_seconds()
        while not self._answers_ready():
            try:
                self._process.wait(POLL_S)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        self.explain(f"Alertmanager not ready within {self.ready_timeout}")
                    ) from None
                continue
            return False
        return True

    def _answers_ready(self) -> bool:
        try:
            response = self._client().get("/-/ready", timeout=READY_POLL_TIMEOUT_S)
            return response.status_code == httpx.codes.OK
        except httpx.TransportError:
            return False
