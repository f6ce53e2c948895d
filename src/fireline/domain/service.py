"""Services: the parts of the platform incidents are about."""

from __future__ import annotations

from dataclasses import dataclass

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.validation import check_slugs, check_text

TIERS = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Service:
    """A service of the platform: who owns it, how critical it is, where it runs."""

    name: str
    team: str
    tier: int
    regions: tuple[str, ...]
    description: str = ""


def make_service(
    *, name: str, team: str, tier: int, regions: list[str], description: str = ""
) -> Service:
    """Validate a service definition, reporting every bad field at once."""
    errors: list[FieldError] = []
    check_slugs(errors, field="name", values=[name])
    clean_team = check_text(errors, field="team", value=team, max_length=100)
    if tier not in TIERS:
        errors.append(FieldError("tier", f"must be one of {', '.join(map(str, TIERS))}"))
    clean_regions = check_slugs(errors, field="regions", values=regions)
    if len(description) > 2000:
        errors.append(FieldError("description", "must be at most 2000 characters"))
    if errors:
        raise Invalid([_rename(e) for e in errors])
    return Service(name, clean_team, tier, clean_regions, description.strip())


def _rename(error: FieldError) -> FieldError:
    return FieldError("name", error.message) if error.field == "name[0]" else error
