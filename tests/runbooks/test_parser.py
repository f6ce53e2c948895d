"""Parsing runbook files: the front-matter format, defaults, and every problem reported at once."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from fireline.domain.errors import Invalid, NotFound
from fireline.runbooks.model import (
    ActionKind,
    Condition,
    RateLimit,
    format_duration,
    parse_duration,
)
from fireline.runbooks.parser import has_front_matter, parse_runbook, read_id

MINIMAL = """\
---
id: queue-saturation
title: Job queue saturated
owners: [platform]
applies_to:
  alertnames: [QueueSaturated]
  matchers: ['region=~"eu-.*"']
steps:
  - title: Look at the queue
    prose: Open the dashboard.
  - title: Scale up
    auto: true
    timeout: 1m
    rate_limit: {count: 3, per: 1h}
    action:
      kind: http
      url: "{{ platform.admin_url }}/admin/workers"
      json: {count: 12}
    rollback:
      kind: http
      method: post
      url: "{{ platform.admin_url }}/admin/workers"
      json: {count: 8}
      expect_status: [200, 202]
---
# Job queue saturated

Body text.
"""


def _front(yaml_text: str) -> str:
    return "---\n" + textwrap.dedent(yaml_text).strip("\n") + "\n---\nbody\n"


def _fields(error: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {e.field: e.message for e in error.value.errors}


def test_parse_runbook_reads_front_matter_and_body() -> None:
    runbook = parse_runbook(MINIMAL, path="queue.md")

    assert runbook.id == "queue-saturation"
    assert runbook.title == "Job queue saturated"
    assert runbook.owners == ("platform",)
    assert runbook.path == "queue.md"
    assert runbook.body == "# Job queue saturated\n\nBody text.\n"
    assert runbook.applies_to.alertnames == ("QueueSaturated",)
    assert [str(m) for m in runbook.applies_to.matchers] == ['region=~"eu-.*"']
    assert [s.number for s in runbook.steps] == [1, 2]


def test_step_defaults_and_guards() -> None:
    first, second = parse_runbook(MINIMAL, path="queue.md").steps

    assert first.action is None
    assert first.auto is False
    assert first.approval is None
    assert first.timeout == timedelta(minutes=5)
    assert second.auto is True
    assert second.timeout == timedelta(minutes=1)
    assert second.rate_limit == RateLimit(count=3, per=timedelta(hours=1))


def test_http_action_params_get_defaults() -> None:
    step = parse_runbook(MINIMAL, path="queue.md").steps[1]

    assert step.action is not None
    assert step.action.kind is ActionKind.HTTP
    assert dict(step.action.params) == {
        "method": "POST",
        "url": "{{ platform.admin_url }}/admin/workers",
        "headers": {},
        "json": {"count": 12},
        "expect_status": (),
    }
    assert step.rollback is not None
    assert step.rollback.params["method"] == "POST"
    assert step.rollback.params["expect_status"] == (200, 202)


def test_every_action_kind_parses() -> None:
    text = _front(
        """
        id: all-kinds
        title: All kinds
        owners: [sre]
        steps:
          - title: query
            action: {kind: prometheus_query, query: platform_queue_depth, condition: "<500"}
          - title: wait
            timeout: 10m
            action:
              kind: wait_until
              query: max(platform_queue_depth)
              condition: not empty
              timeout: 5m
          - title: shell
            action: {kind: shell, command: [kubectl, rollout, status, "deployment/{{ labels.x }}"]}
          - title: manual
            action: {kind: manual, instructions: Check the model version.}
          - title: notify
            action: {kind: notify, target: "channel:slack-incidents", message: "{{ incident.ref }}"}
        """
    )
    steps = parse_runbook(text, path="all.md").steps

    assert [s.action.kind for s in steps if s.action] == list(ActionKind)[1:]
    assert steps[0].action is not None
    assert steps[0].action.params == {"query": "platform_queue_depth", "condition": "< 500"}
    assert steps[1].action is not None
    assert steps[1].action.params["interval"] == timedelta(seconds=10)
    assert steps[1].action.params["timeout"] == timedelta(minutes=5)
    assert steps[2].action is not None
    assert steps[2].action.params["command"] == (
        "kubectl",
        "rollout",
        "status",
        "deployment/{{ labels.x }}",
    )


def test_every_problem_is_reported_at_once() -> None:
    text = _front(
        """
        id: Not A Slug
        owners: []
        colour: red
        steps:
          - title: bad url template
            action: {kind: http, url: "{{ platform.admin_url }/x"}
          - title: bad condition
            action: {kind: prometheus_query, query: q, condition: "about 3"}
          - title: shell string
            action: {kind: shell, command: "rm -rf /"}
          - title: approval
            approval: anyone
            action: {kind: manual, instructions: x}
          - title: auto without action
            auto: true
          - title: rollback without action
            rollback: {kind: manual, instructions: x}
          - title: long wait
            timeout: 1m
            action: {kind: wait_until, query: q, condition: "> 1", timeout: 2m, interval: 3m}
          - title: unknown kind
            action: {kind: ssh, host: x}
          - title: typo
            aproval: commander
            action: {kind: http, url: "http://x", metod: GET}
        """
    )
    with pytest.raises(Invalid) as error:
        parse_runbook(text, path="bad.md")

    fields = _fields(error)
    assert set(fields) == {
        "id",
        "title",
        "owners",
        "colour",
        "steps[0].action.url",
        "steps[1].action.condition",
        "steps[2].action.command",
        "steps[3].approval",
        "steps[4].auto",
        "steps[5].rollback",
        "steps[6].action.timeout",
        "steps[6].action.interval",
        "steps[7].action.kind",
        "steps[8].aproval",
        "steps[8].action.metod",
    }
    assert "template does not compile" in fields["steps[0].action.url"]
    assert "never a shell string" in fields["steps[2].action.command"]
    assert "bad.md is not a valid runbook" in str(error.value)


def test_auto_manual_step_is_refused() -> None:
    text = _front(
        """
        id: x
        title: x
        owners: [sre]
        steps:
          - {title: t, auto: true, action: {kind: manual, instructions: do it}}
        """
    )
    with pytest.raises(Invalid) as error:
        parse_runbook(text, path="x.md")

    assert _fields(error) == {"steps[0].auto": "a manual step cannot run by itself"}


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ("{kind: notify, target: slack, message: hi}", "steps[0].action.target"),
        ("{kind: http, url: 'http://x', method: TRACE}", "steps[0].action.method"),
        ("{kind: http, url: 'http://x', headers: {A: 1}}", "steps[0].action.headers"),
        ("{kind: http, url: 'http://x', expect_status: [42]}", "steps[0].action.expect_status"),
        ("{kind: http, url: 'http://x', json: {at: 2026-01-01}}", "steps[0].action.json"),
        ("{kind: shell, command: []}", "steps[0].action.command"),
        ("{kind: shell, command: [ls, 3]}", "steps[0].action.command[1]"),
        ("{kind: wait_until, query: q, condition: empty}", "steps[0].action.timeout"),
        ("{kind: manual}", "steps[0].action.instructions"),
        ("[http]", "steps[0].action"),
    ],
)
def test_action_params_are_validated(action: str, field: str) -> None:
    text = _front(f"id: x\ntitle: x\nowners: [sre]\nsteps:\n  - title: t\n    action: {action}\n")

    with pytest.raises(Invalid) as error:
        parse_runbook(text, path="x.md")

    assert field in _fields(error)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("applies_to: {matchers: ['region~eu']}", "applies_to.matchers[0]"),
        ("applies_to: [QueueSaturated]", "applies_to"),
        ("applies_to: {alertnames: QueueSaturated}", "applies_to.alertnames"),
        ("steps: {title: x}", "steps"),
        ("steps: [just text]", "steps[0]"),
        (
            "steps: [{title: t, rate_limit: {count: 0, per: 1h}, action: {kind: manual, "
            "instructions: x}}]",
            "steps[0].rate_limit.count",
        ),
        ("steps: [{title: t, timeout: soon}]", "steps[0].timeout"),
        ("steps: [{title: t, auto: 'yes please'}]", "steps[0].auto"),
    ],
)
def test_front_matter_fields_are_validated(extra: str, field: str) -> None:
    text = _front(f"id: x\ntitle: x\nowners: [sre]\n{extra}\n")

    with pytest.raises(Invalid) as error:
        parse_runbook(text, path="x.md")

    assert field in _fields(error)


@pytest.mark.parametrize(
    "text",
    [
        "# Just Markdown\n",
        "---\nid: x\nno closing line\n",
        "",
    ],
)
def test_missing_front_matter_is_invalid(text: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_runbook(text, path="x.md")

    assert set(_fields(error)) == {"front_matter"}


def test_broken_yaml_and_non_mapping_are_invalid() -> None:
    with pytest.raises(Invalid, match="not valid YAML"):
        parse_runbook("---\nid: [x\n---\n", path="x.md")
    with pytest.raises(Invalid, match="must be a mapping"):
        parse_runbook("---\n- a list\n---\n", path="x.md")


def test_has_front_matter_and_read_id() -> None:
    assert has_front_matter(MINIMAL)
    assert has_front_matter("\ufeff---\r\nid: x\r\n---\r\n")
    assert not has_front_matter("# README\n---\n")
    assert read_id("---\nid: broken-one\nsteps: 3\n---\n") == "broken-one"
    assert read_id("---\nid: [\n---\n") is None
    assert read_id("no front matter") is None


def test_applies_needs_alertname_and_every_matcher() -> None:
    runbook = parse_runbook(MINIMAL, path="queue.md")

    assert runbook.applies({"alertname": "QueueSaturated", "region": "eu-west-1"})
    assert not runbook.applies({"alertname": "QueueSaturated", "region": "us-east-1"})
    assert not runbook.applies({"alertname": "UploadFailures", "region": "eu-west-1"})


def test_applies_with_only_matchers_or_nothing() -> None:
    only_matchers = _front("id: x\ntitle: x\nowners: [sre]\napplies_to: {matchers: ['a=\"1\"']}")
    nothing = _front("id: x\ntitle: x\nowners: [sre]\n")

    assert parse_runbook(only_matchers, path="x.md").applies({"alertname": "Any", "a": "1"})
    assert not parse_runbook(nothing, path="x.md").applies({"alertname": "Any"})


def test_step_lookup_and_auto_steps() -> None:
    runbook = parse_runbook(MINIMAL, path="queue.md")

    assert runbook.step(2).title == "Scale up"
    assert [s.number for s in runbook.auto_steps()] == [2]
    with pytest.raises(NotFound, match="has no step 3"):
        runbook.step(3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        (90, timedelta(seconds=90)),
    ],
)
def test_parse_duration(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "0s", "-3", True, None, "1m30h"])
def test_parse_duration_refuses_nonsense(text: object) -> None:
    with pytest.raises(ValueError, match="duration|zero"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("10s", "5m", "1h30m", "2d", "1d2h3m4s"):
        assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    "text", ["> 0", "<500", ">= 1e3", "== 1", "!= -2.5", "empty", "Not  Empty"]
)
def test_condition_parses(text: str) -> None:
    assert str(Condition.parse(text)) == str(Condition.parse(str(Condition.parse(text))))


@pytest.mark.parametrize("text", ["", "0", "> x", "=> 3", "> 1 2", "nonempty", "> 1.2.3"])
def test_condition_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="is not a condition"):
        Condition.parse(text)
