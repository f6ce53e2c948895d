"""Running one rendered action against the world: the platform's admin API, Prometheus, or an
allowlisted program. Steps that only need the database (manual, notify) never get here.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from fireline.domain.automation import ActionResult
from fireline.domain.configuration import RunbookSettings
from fireline.domain.errors import Forbidden
from fireline.integrations.command import run_command
from fireline.integrations.platform.admin import call
from fireline.integrations.prometheus.query import instant
from fireline.runbooks.guards import RenderedAction, check_condition, check_shell_allowed
from fireline.runbooks.model import ActionKind


class ActionRunner:
    """Runs http, prometheus_query, wait_until and shell actions."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def run(
        self, rendered: RenderedAction, *, settings: RunbookSettings, timeout: timedelta
    ) -> ActionResult:
        """Do the action once; a query's result is ok when its condition holds."""
        params = rendered.params
        if rendered.kind is ActionKind.HTTP:
            expected = tuple(params.get("expect_status") or ())
            return call(self._client, params, timeout=timeout, expected=expected)
        if rendered.kind in (ActionKind.PROMETHEUS_QUERY, ActionKind.WAIT_UNTIL):
            return self._query(str(params["query"]), str(params["condition"]), settings)
        if rendered.kind is ActionKind.SHELL:
            argv = [str(a) for a in params["command"]]
            try:
                check_shell_allowed(argv, allowlist=settings.shell_allowlist)
            except Forbidden as refused:
                return ActionResult.failed(refused.detail)
            return run_command(argv, timeout=timeout)
        return ActionResult.failed(f"{rendered.kind.value} actions are not run by the runner")

    def _query(self, query: str, condition: str, settings: RunbookSettings) -> ActionResult:
        if not settings.prometheus_url:
            return ActionResult.failed("runbooks.prometheus_url is not configured")
        answer = instant(self._client, base_url=settings.prometheus_url, query=query)
        if not answer.ok:
            return answer
        if check_condition(answer.value, condition):
            return ActionResult.done(f"{answer.output} (holds: {condition})", value=answer.value)
        return ActionResult.failed(f"{answer.output} (does not hold: {condition})")
