"""Configuration as code: load the services of `fireline.yaml` into the catalog.

This is the first slice of `fireline apply`; routing, integrations and schedules join it later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.service import Service, make_service
from fireline.services.catalog import put_services
from fireline.store.uow import UnitOfWork


def read_services(path: Path) -> list[Service]:
    """Parse the `services:` list of a config file, reporting every bad field with its path."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise Invalid([FieldError(str(path), f"is not valid YAML: {error}")]) from error
    if not isinstance(document, dict):
        raise Invalid([FieldError(str(path), "must be a mapping at the top level")])
    entries = document.get("services") or []
    if not isinstance(entries, list):
        raise Invalid([FieldError("services", "must be a list")])
    found: list[Service] = []
    errors: list[FieldError] = []
    for index, entry in enumerate(entries):
        where = f"services[{index}]"
        if not isinstance(entry, dict):
            errors.append(FieldError(where, "must be a mapping"))
            continue
        try:
            found.append(
                make_service(
                    name=str(entry.get("name", "")),
                    team=str(entry.get("team", "")),
                    tier=int(entry.get("tier", 0)),
                    regions=[str(r) for r in entry.get("regions") or []],
                    description=str(entry.get("description", "")),
                )
            )
        except Invalid as invalid:
            errors.extend(FieldError(f"{where}.{e.field}", e.message) for e in invalid.errors)
        except (TypeError, ValueError) as error:
            errors.append(FieldError(where, str(error)))
    if errors:
        raise Invalid(errors, detail=f"{path} has {len(errors)} problem(s)")
    return found


def apply_services_file(uow: UnitOfWork, *, path: Path, now: Any) -> tuple[int, int]:
    """Load the services of `path` into the catalog; return (services, newly created)."""
    services = read_services(path)
    created = put_services(uow, services=services, now=now)
    return len(services), created
