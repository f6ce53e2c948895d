"""What the use cases need, wired once by `fireline.app.build`."""

from __future__ import annotations

from dataclasses import dataclass

from fireline.clock import Clock
from fireline.services.live_config import LiveConfig
from fireline.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Container:
    """The unit of work, the clock and the live configuration every use case receives."""

    uow: UnitOfWork
    clock: Clock
    live_config: LiveConfig
