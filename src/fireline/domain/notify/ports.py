"""The one protocol every channel implements."""

from __future__ import annotations

from typing import Protocol

from fireline.domain.notify.delivery import Delivery
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message


class Notifier(Protocol):
    """Sends messages to one kind of channel; never raises for the provider's failures."""

    kind: ChannelKind

    def send(self, message: Message, destination: Destination) -> Delivery:
        """Deliver `message` to `destination` once (the idempotency key rides along)."""
        ...
