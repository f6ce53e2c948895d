"""Sandboxed Jinja2 templates over an alert's labels and annotations.

Templates come from configuration, so they run in Jinja's sandbox; a missing label renders as
"" (as in Alertmanager). Compiled templates are cached by their source text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
MAX_OUTPUT = 1024


class TemplateProblem(Exception):
    """A template does not compile, or failed while rendering."""


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Any:
    return _ENV.from_string(source)


def check_template(source: str) -> str | None:
    """Return why `source` does not compile, or None when it does."""
    try:
        _compiled(source)
    except TemplateError as error:
        return f"{type(error).__name__}: {error}"
    return None


def render(source: str, context: dict[str, Any]) -> str:
    """Render `source` with `context`, stripped and bounded; raise TemplateProblem on failure."""
    try:
        text = str(_compiled(source).render(context)).strip()
    except TemplateError as error:
        raise TemplateProblem(f"{type(error).__name__}: {error}") from error
    except Exception as error:  # noqa: BLE001 - a template must never lose an alert
        raise TemplateProblem(f"{type(error).__name__}: {error}") from error
    return text[:MAX_OUTPUT]
