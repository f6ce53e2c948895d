"""Running `fireline …` in-process, as from a shell with a few variables exported."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from typer.testing import CliRunner, Result

from fireline.cli.main import app

# Nothing from the developer's shell leaks in: no Fireline settings, no forced colours, and
# a classic 80-column terminal, so that wrapping is the same everywhere.
CLEAN_ENV: dict[str, str | None] = {
    "FIRELINE_SERVER": None,
    "FIRELINE_TOKEN": None,
    "FIRELINE_DATABASE_URL": None,
    "FIRELINE_CONFIG": None,
    "FIRELINE_HOST": None,
    "FIRELINE_PORT": None,
    "FIRELINE_SANDBOX": None,
    "FORCE_COLOR": None,
    "TTY_COMPATIBLE": None,
    "COLUMNS": "80",
}


class Fireline:
    """The `fireline` command with a fixed environment; `ok()` and `json()` must succeed."""

    def __init__(self, env: Mapping[str, str | None] | None = None) -> None:
        self.env: dict[str, str | None] = {**CLEAN_ENV, **(env or {})}
        self._runner = CliRunner()

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result:
        """Run `fireline *args` and return its exit code and output, whatever they are."""
        return self._runner.invoke(app, list(args), env={**self.env, **(env or {})})

    def ok(self, *args: str) -> Result:
        """Run a command that must exit 0 and print nothing on standard error."""
        result = self(*args)
        assert result.exit_code == 0, (
            f"fireline {' '.join(args)} exited {result.exit_code}\n{result.output}"
        )
        assert result.stderr == "", result.stderr
        return result

    def json(self, *args: str) -> Any:
        """Run a command with `--json` and return what it printed, decoded."""
        return json.loads(self.ok(*args, "--json").stdout)

    def with_env(self, **env: str | None) -> Fireline:
        """Return the command with some variables changed."""
        return Fireline({**self.env, **env})
