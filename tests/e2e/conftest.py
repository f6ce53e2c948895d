"""End-to-end fixtures: Fireline configured for real senders, served, watched from outside.

`configured` applies `live.CONFIG`; `intake` wraps the app in `IntakeWatch` and fails the
test at teardown if any intake request was not answered 2xx; `fireline` is the configured
app's API over real HTTP (the `live_url` server), with that log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from fireline.services.container import Container
from tests.e2e.live import CONFIG, Fireline, IntakeLog, IntakeWatch, open_fireline
from tests.support.configs import apply_config


@pytest.fixture
def configured(container: Container, tmp_path: Path) -> Container:
    """The container with `CONFIG` applied and live."""
    return apply_config(container, CONFIG, tmp_path)


@pytest.fixture
def intake(app: FastAPI) -> Iterator[IntakeLog]:
    """The log of the app's intake requests; the test fails if one was not answered 2xx."""
    log = IntakeLog()
    app.add_middleware(IntakeWatch, log=log)  # before the first request builds the stack
    yield log
    assert log.rejected() == [], "intake requests Fireline did not accept"


@pytest.fixture
def fireline(
    configured: Container,
    live_url: str,
    intake: IntakeLog,
    role_tokens: Callable[[str], str],
) -> Iterator[Fireline]:
    """Configured Fireline served over real HTTP on loopback, with its intake log."""
    assert configured.live_config.current() is not None  # live before anything is sent
    with open_fireline(live_url, intake, role_tokens) as fireline:
        yield fireline
