"""`fireline runbook …` against a real server over HTTP, on SQLite and PostgreSQL.

The runbook repository, the fake platform and the engine are those of the API tests; the test
ticks the engine by hand where the server's engine would run the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fireline.app import build_engine
from fireline.cli.output import Exit
from fireline.engine.loop import Engine
from fireline.services.container import Container
from tests.cli.harness import Fireline
from tests.fakes.platform import FakePlatform
from tests.fakes.server import running
from tests.web.test_runbooks import (
    DEPTH,
    FILE,
    _configure_runbooks,
    _drain,
    _plan_lines,
)

MakeToken = Callable[..., str]
OPEN = ("incident", "create", "--title", "Queue saturated", "--severity", "SEV2")
RUN = ("runbook", "run", "queue-saturation", "--incident", "INC-1")


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, str]]:
    """The fake platform (queue depth 900) and its base URL."""
    fake = FakePlatform()
    fake.values[DEPTH] = 900.0
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def commits(container: Container, tmp_path: Path, platform: tuple[FakePlatform, str]) -> list[str]:
    """The runbook repository's two commits, oldest first, with the config applied."""
    return _configure_runbooks(container, tmp_path, platform_url=platform[1])


@pytest.fixture
def engine(container: Container) -> Iterator[Engine]:
    """The background engine, ticked by hand."""
    built = build_engine(container)
    yield built
    built.close()


@pytest.fixture
def opened(responder: Fireline) -> str:
    """INC-1, opened by responder alice through the CLI."""
    assert responder.json(*OPEN, "--service", "extraction")["ref"] == "INC-1"
    return "INC-1"


def test_list_show_and_log_follow_the_commits(responder: Fireline, commits: list[str]) -> None:
    listed = responder.ok("runbook", "list").stdout
    [row] = [line for line in listed.splitlines() if line.startswith("queue-saturation")]
    assert (
        row.split() == "queue-saturation Job queue saturated platform, sre QueueSaturated 4".split()
    )
    assert f"at commit {commits[1][:12]}" in listed
    shown = responder.ok("runbook", "show", "queue-saturation").stdout
    for text in (
        "Job queue saturated",
        f"commit    {commits[1][:12]}",
        "owners    platform, sre",
        'matchers  region=~"eu-.*"',
        "  1. Confirm the backlog  [timeout 5m]",
        "     prometheus_query: query=max(platform_queue_depth) condition=> 500",
        "  2. Scale the workers up  [at most 1 per 1h, timeout 5m]",
        '     http: method=POST url={{ platform.admin_url }}/admin/workers json={"count": 48}',
        '     rollback http: method=POST url={{ platform.admin_url }}/admin/workers json={"count"',
        "  3. Pause intake  [needs commander approval, timeout 5m]",
        "     manual: instructions=Compare the model version with the last release",
        "Scale the extraction workers to 48.",
    ):
        assert text in shown, text
    old = responder.ok("runbook", "show", "queue-saturation", "--at", commits[0][:8]).stdout
    assert 'json={"count": 32}' in old
    assert "Scale the extraction workers to 32." in old
    assert '"count": 48' not in old
    log = responder.ok("runbook", "log", "queue-saturation").stdout
    assert log.index(commits[1][:12]) < log.index(commits[0][:12])
    history = responder.json("runbook", "log", "queue-saturation")
    assert [(h["commit"], h["message"], h["path"]) for h in history] == [
        (commits[1], "Scale to 48 workers", FILE),
        (commits[0], "Add the queue runbook", FILE),
    ]
    assert (
        responder.json("runbook", "show", "queue-saturation", "--at", commits[0])["commit"]
        == (commits[0])
    )


@pytest.mark.usefixtures("opened")
def test_a_dry_run_prints_the_exact_plan_and_runs_nothing(
    responder: Fireline,
    commits: list[str],
    engine: Engine,
    platform: tuple[FakePlatform, str],
) -> None:
    url = platform[1]
    printed = responder.ok(*RUN, "--dry-run").stdout
    assert printed.splitlines() == [
        f"dry run of queue-saturation at {commits[1][:12]} on INC-1: nothing was done",
        f"  1. Confirm the backlog: {_plan_lines(url)[0]}",
        f"  2. Scale the workers up: {_plan_lines(url)[1]}",
        f"  3. Pause intake: {_plan_lines(url)[2]} (waits for commander approval)",
        f"  4. Check the model version: {_plan_lines(url)[3]}",
    ]
    one = responder.json(*RUN, "--dry-run", "--step", "2", "--at", commits[0][:7])
    assert [line["does"] for line in one["plan"]] == [f'POST {url}/admin/workers {{"count": 32}}']
    assert engine.tick()["runbook_steps"] == 0
    assert responder.ok("runbook", "runs", "--incident", "1").stdout == (
        "no runbook runs on INC-1\n"
    )


@pytest.mark.usefixtures("commits", "opened")
def test_a_run_waits_for_a_commander_and_a_manual_step_for_a_responder(
    responder: Fireline,
    engine: Engine,
    platform: tuple[FakePlatform, str],
    make_token: MakeToken,
) -> None:
    started = responder.ok(*RUN).stdout.splitlines()
    assert started[-1] == (
        "run 1 started; the engine runs the steps in turn. "
        "Watch it with `fireline runbook runs --incident INC-1`"
    )
    _drain(engine)
    platform[0].take()
    shown = responder.ok("runbook", "runs", "--incident", "INC-1").stdout
    assert "run 1: queue-saturation at" in shown
    assert (
        "  step run 3: step 3 Pause intake: waiting_approval; "
        "a commander approves it with `fireline runbook approve 3`"
    ) in shown
    refused = responder("runbook", "approve", "3")
    assert refused.exit_code == Exit.AUTH
    assert "403 this step waits for the approval of a commander" in refused.stderr
    commander = responder.with_env(FIRELINE_TOKEN=make_token("commander", name="carol"))
    assert commander.ok("runbook", "approve", "3").stdout == (
        "step run 3 (INC-1 step 3: Pause intake) approved by carol; the engine takes it from here\n"
    )
    _drain(engine)
    assert platform[0].take()[0].path == "/admin/intake/pause"
    confirmed = responder.json("runbook", "approve", "4")
    assert (confirmed["status"], confirmed["approved_by"]) == ("pending", "alice")
    _drain(engine)
    [run] = responder.json("runbook", "runs", "--incident", "INC-1")
    assert run["status"] == "succeeded"
    assert [(s["step"], s["status"], s["approved_by"]) for s in run["steps"]] == [
        (1, "succeeded", None),
        (2, "succeeded", None),
        (3, "succeeded", "carol"),
        (4, "succeeded", "alice"),
    ]
    again = responder("runbook", "approve", "4")
    assert again.exit_code == Exit.REJECTED
    assert "is succeeded, not waiting for anyone" in again.stderr


@pytest.mark.usefixtures("commits", "opened")
def test_bad_input_is_refused_with_the_option_named(responder: Fireline) -> None:
    for args, said in (
        ((*RUN, "--step", "0"), "--step: Input should be greater than or equal to 1"),
        ((*RUN, "--at", "zz"), "--at: must be a commit id or a prefix of 7+ hex digits"),
    ):
        result = responder(*args)
        assert result.exit_code == Exit.REJECTED
        assert said in result.stderr
    beyond = responder(*RUN, "--step", "9")
    assert beyond.exit_code == Exit.NOT_FOUND
    assert "runbook 'queue-saturation' has no step 9 (it has 4)" in beyond.stderr
    for unknown in (
        ("runbook", "show", "nope"),
        ("runbook", "show", "../tokens"),  # refused before any request
        ("runbook", "runs", "--incident", "INC-x"),
        ("runbook", "runs", "--incident", "INC-7"),
    ):
        assert responder(*unknown).exit_code == Exit.NOT_FOUND, unknown


def test_without_a_runbooks_section_commands_say_how_to_add_one(responder: Fireline) -> None:
    result = responder("runbook", "list")
    assert result.exit_code == Exit.NOT_FOUND
    assert "no runbooks are configured: add a runbooks section (repository: PATH)" in (
        result.stderr
    )


@pytest.mark.usefixtures("commits", "opened")
def test_a_failed_step_is_tried_again_only_when_a_person_runs_it(
    responder: Fireline, engine: Engine, platform: tuple[FakePlatform, str]
) -> None:
    platform[0].values[DEPTH] = 40.0  # no backlog: the check fails and the run stops there
    responder.ok(*RUN)
    _drain(engine)
    [failed] = responder.json("runbook", "runs", "--incident", "INC-1")
    assert failed["status"] == "failed"
    assert [(s["step"], s["status"]) for s in failed["steps"]] == [(1, "failed")]
    platform[0].values[DEPTH] = 900.0
    planned = responder.ok(*RUN, "--dry-run").stdout.splitlines()
    assert planned[1].endswith("> 500 (failed before on this incident: tried again)")
    responder.ok(*RUN)
    _drain(engine)
    assert platform[0].take()[0].json() == {"count": 48}
    runs = responder.json("runbook", "runs", "--incident", "INC-1")
    assert [(r["id"], r["status"]) for r in runs] == [(1, "failed"), (2, "running")]
    assert [(s["step"], s["status"]) for s in runs[1]["steps"]] == [
        (1, "succeeded"),
        (2, "succeeded"),
        (3, "waiting_approval"),
    ]
