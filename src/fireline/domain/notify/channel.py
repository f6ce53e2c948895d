"""A configured channel: a named way to reach a system (a PagerDuty service, a Slack channel)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fireline.domain.notify.destination import ChannelKind, Destination


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel from `fireline.yaml`; `secrets` names the settings never to log."""

    name: str
    kind: ChannelKind
    settings: dict[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()

    def destination(self, *, address: str = "", name: str | None = None) -> Destination:
        """Return where a message through this channel goes (`address` for a person)."""
        return Destination(
            kind=self.kind,
            name=name or self.name,
            address=address,
            settings=dict(self.settings),
            secrets=self.secrets,
        )

    def __repr__(self) -> str:
        shown = {k: "<secret>" if k in self.secrets else v for k, v in self.settings.items()}
        return f"Channel(name={self.name!r}, kind={self.kind.value!r}, settings={shown!r})"
