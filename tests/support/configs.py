"""Applying a `fireline.yaml` in a test, as `fireline apply` does, and making it live at once."""

from __future__ import annotations

from pathlib import Path

from fireline.services.config_store import record_revision
from fireline.services.configfile.loader import load_config
from fireline.services.container import Container


def apply_config(container: Container, text: str, directory: Path) -> Container:
    """Write `text` as a config file in `directory`, apply it, and refresh the live config."""
    path = directory / "fireline.yaml"
    path.write_text(text, encoding="utf-8")
    record_revision(
        container.uow,
        configuration=load_config(path),
        content=text,
        source=str(path),
        applied_by="test",
        now=container.clock.now(),
    )
    container.live_config.refresh()
    return container
