"""Guards on automation: rendering, the shell allowlist, dry-run lines, masking, rate limits."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fireline.domain.errors import Forbidden, Invalid
from fireline.runbooks.guards import (
    RenderContext,
    RenderedAction,
    check_condition,
    check_shell_allowed,
    describe,
    idempotency_key,
    mask_secrets,
    missing_references,
    render_action,
    secrets_of,
)
from fireline.runbooks.model import Action, ActionKind, RateLimit

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONTEXT = RenderContext(
    incident={"ref": "INC-7", "title": "Queue saturated"},
    labels={"alertname": "TokenExpiringSoon", "token": "uploads-api", "region": "eu-west-1"},
    annotations={"summary": "Token expires soon"},
    platform={"admin_url": "http://sandbox:9200"},
)


def _http(**params: Any) -> Action:
    base: dict[str, Any] = {"method": "POST", "headers": {}, "json": None, "expect_status": ()}
    return Action(ActionKind.HTTP, base | params)


def _fields(error: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {e.field: e.message for e in error.value.errors}


def test_render_http_action_fills_url_headers_and_json() -> None:
    action = _http(
        url="{{ platform.admin_url }}/admin/tokens/{{ labels.token }}/rotate",
        headers={"X-Incident": "{{ incident.ref }}"},
        json={
            "reason": "{{ incident.ref }} {{ labels.region }}",
            "count": 12,
            "tags": ["{{ 1 + 1 }}"],
        },
    )

    rendered = render_action(action, CONTEXT)

    assert rendered.kind is ActionKind.HTTP
    assert rendered.params["url"] == "http://sandbox:9200/admin/tokens/uploads-api/rotate"
    assert rendered.params["headers"] == {"X-Incident": "INC-7"}
    assert rendered.params["json"] == {"reason": "INC-7 eu-west-1", "count": 12, "tags": ["2"]}


def test_describe_http_is_one_exact_line() -> None:
    action = _http(url="{{ platform.admin_url }}/admin/workers", json={"count": 12})

    assert describe(render_action(action, CONTEXT)) == (
        'POST http://sandbox:9200/admin/workers {"count": 12}'
    )


def test_missing_label_refuses_to_render_instead_of_rendering_empty() -> None:
    context = RenderContext(incident={}, labels={}, annotations={}, platform={})
    action = _http(url="{{ platform.admin_url }}/admin/tokens/{{ labels.token }}/rotate")

    with pytest.raises(Invalid) as error:
        render_action(action, context, field="steps[1].action")

    assert _fields(error) == {
        "steps[1].action.url": "uses labels.token, platform.admin_url, which is not set here"
    }


@pytest.mark.parametrize(
    "source",
    [
        "{{ labels.zone | default('all') }}",
        "{% if labels.zone %}{{ labels.zone }}{% endif %}",
        "{{ labels['zone'] if labels.zone is defined else 'none' }}",
        "{% for k in labels %}{{ k }}{% endfor %}",
    ],
)
def test_guarded_references_are_allowed(source: str) -> None:
    assert missing_references(source, CONTEXT.variables()) == []


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("{{ labels.zone }}", ["labels.zone"]),
        ("{{ labels['zone'] }}", ["labels.zone"]),
        ("{{ alert.name }}", ["alert"]),
        ("{{ incident.commander }}", ["incident.commander"]),
        ("{{ range(3) | list }}", []),
    ],
)
def test_missing_references_names_what_is_missing(source: str, missing: list[str]) -> None:
    assert missing_references(source, CONTEXT.variables()) == missing


def test_render_failures_and_sandbox_escapes_are_invalid() -> None:
    action = Action(
        ActionKind.NOTIFY, {"target": "channel:x", "message": "{{ ''.__class__.__mro__ }}"}
    )

    with pytest.raises(Invalid) as error:
        render_action(action, CONTEXT)

    assert "SecurityError" in _fields(error)["action.message"]


@pytest.mark.parametrize(
    ("action", "field"),
    [
        (_http(url="file:///etc/passwd"), "action.url"),
        (Action(ActionKind.SHELL, {"command": ("echo", "{{ '' }}")}), "action.command[1]"),
        (Action(ActionKind.NOTIFY, {"target": "{{ '' }}slack", "message": "m"}), "action.target"),
        (Action(ActionKind.MANUAL, {"instructions": "{{ '' }}"}), "action.instructions"),
    ],
)
def test_rendered_values_are_checked(action: Action, field: str) -> None:
    with pytest.raises(Invalid) as error:
        render_action(action, CONTEXT)

    assert field in _fields(error)


def test_describe_every_kind() -> None:
    wait = {
        "query": 'min(platform_token_expiry_seconds{token="{{ labels.token }}"})',
        "condition": "> 86400",
        "timeout": timedelta(minutes=2),
        "interval": timedelta(seconds=10),
    }
    cases = {
        Action(ActionKind.PROMETHEUS_QUERY, {"query": "max(q)", "condition": "empty"}): (
            "query Prometheus max(q) and require no result"
        ),
        Action(ActionKind.WAIT_UNTIL, wait): (
            'poll Prometheus min(platform_token_expiry_seconds{token="uploads-api"}) every 10s '
            "for up to 2m until the first sample > 86400"
        ),
        Action(ActionKind.SHELL, {"command": ("kubectl", "annotate", "x", "why=a b")}): (
            "run kubectl annotate x 'why=a b'"
        ),
        Action(ActionKind.MANUAL, {"instructions": "Check\nthe  model."}): (
            "ask a person to confirm: Check the model."
        ),
        Action(ActionKind.NOTIFY, {"target": "channel:slack", "message": "{{ incident.ref }}"}): (
            "notify channel:slack: INC-7"
        ),
    }
    for action, line in cases.items():
        assert describe(render_action(action, CONTEXT)) == line


def test_describe_masks_secret_headers_url_credentials_and_json() -> None:
    rendered = RenderedAction(
        ActionKind.HTTP,
        {
            "method": "POST",
            "url": "https://admin:hunter2@sandbox/admin/x?api_key=abc123&page=2",
            "headers": {"Authorization": "Bearer s3cr3t", "X-Trace": "t1"},
            "json": {"password": "pw", "nested": [{"token": "tk"}], "count": 1},
            "expect_status": (202,),
        },
    )

    line = describe(rendered, secrets=["t1"])

    assert line == (
        "POST https://admin:****@sandbox/admin/x?api_key=****&page=2 "
        "-H 'Authorization: ****' -H 'X-Trace: ****' "
        '{"password": "****", "nested": [{"token": "****"}], "count": 1} expecting 202'
    )
    for secret in ("hunter2", "abc123", "s3cr3t", "pw", "tk"):
        assert secret not in line


def test_an_error_quoting_the_request_shows_none_of_its_secrets() -> None:
    rendered = RenderedAction(
        ActionKind.HTTP,
        {
            "method": "POST",
            "url": "https://admin:hunter2@sandbox/admin/x?api_key=abc123&page=2&token=tok9",
            "headers": {"Authorization": "Bearer s3cr3t-value", "X-Trace": "t1"},
            "json": {"password": "pw-longer", "nested": [{"token": "tk-nested"}], "count": 1},
            "expect_status": (202,),
        },
    )
    # What httpx and a failing service say: the full URL, and the body echoed back.
    error = (
        "Server error '503' for url 'https://admin:hunter2@sandbox/admin/x?api_key=abc123"
        "&page=2&token=tok9' (sent Bearer s3cr3t-value; body "
        '{"password": "pw-longer", "nested": [{"token": "tk-nested"}]})'
    )

    masked = mask_secrets(error, secrets_of(rendered))

    for secret in ("hunter2", "abc123", "tok9", "s3cr3t-value", "pw-longer", "tk-nested"):
        assert secret not in masked
    assert "page=2" in masked
    assert "t1" not in secrets_of(rendered)  # short header values are not masked everywhere


def test_mask_secrets_masks_longest_first_and_ignores_empty() -> None:
    assert mask_secrets("key abcdef and abc", ["abc", "abcdef", ""]) == "key **** and ****"


def test_shell_allowlist_matches_token_prefixes() -> None:
    allowlist = ["kubectl rollout restart deployment/extraction", "'/usr/bin/my tool' --check"]

    check_shell_allowed(
        ["kubectl", "rollout", "restart", "deployment/extraction"], allowlist=allowlist
    )
    check_shell_allowed(
        ["kubectl", "rollout", "restart", "deployment/extraction", "-n", "prod"],
        allowlist=allowlist,
    )
    check_shell_allowed(["/usr/bin/my tool", "--check"], allowlist=allowlist)


@pytest.mark.parametrize(
    "argv",
    [
        ["kubectl", "rollout", "restart", "deployment/extraction-evil"],
        ["kubectl", "rollout", "restart"],
        ["kubectl", "delete", "deployment/extraction"],
        ["sh", "-c", "kubectl rollout restart deployment/extraction"],
        [],
    ],
)
def test_shell_allowlist_refuses_anything_else(argv: list[str]) -> None:
    with pytest.raises(Forbidden, match="not on the shell allowlist"):
        check_shell_allowed(argv, allowlist=["kubectl rollout restart deployment/extraction", ""])


@pytest.mark.parametrize(
    ("value", "condition", "expected"),
    [
        (501.0, "> 500", True),
        (500.0, "> 500", False),
        (99.0, "< 100", True),
        (1.0, "== 1", True),
        (0.0, "!= 0", False),
        (86401.0, ">= 86400", True),
        (None, "> 0", False),
        (math.nan, "!= 0", False),
        (None, "empty", True),
        (0.0, "empty", False),
        (0.0, "not empty", True),
        (None, "not empty", False),
    ],
)
def test_check_condition(value: float | None, condition: str, *, expected: bool) -> None:
    assert check_condition(value, condition) is expected


def test_check_condition_refuses_a_bad_condition() -> None:
    with pytest.raises(Invalid) as error:
        check_condition(1.0, "about 3")

    assert set(_fields(error)) == {"condition"}


def test_rate_limit_allows_until_the_window_is_full() -> None:
    limit = RateLimit(count=2, per=timedelta(hours=1))
    one = [NOW - timedelta(minutes=50)]
    two = [*one, NOW - timedelta(minutes=10)]

    assert limit.next_allowed(recent=[], now=NOW) == NOW
    assert limit.next_allowed(recent=one, now=NOW) == NOW
    assert limit.next_allowed(recent=two, now=NOW) == NOW + timedelta(minutes=10)
    assert not limit.allows(recent=two, now=NOW)
    assert limit.allows(recent=two, now=NOW + timedelta(minutes=10))


def test_rate_limit_ignores_runs_outside_the_window() -> None:
    limit = RateLimit(count=1, per=timedelta(minutes=30))
    old = [NOW - timedelta(minutes=30), NOW - timedelta(hours=5), NOW + timedelta(minutes=1)]

    assert limit.allows(recent=old, now=NOW)
    assert limit.next_allowed(recent=[*old, NOW - timedelta(minutes=1)], now=NOW) == (
        NOW + timedelta(minutes=29)
    )


def test_http_status_ok_defaults_to_2xx() -> None:
    default = RenderedAction(ActionKind.HTTP, {"expect_status": ()})
    explicit = RenderedAction(ActionKind.HTTP, {"expect_status": (200, 409)})

    assert default.status_ok(204)
    assert not default.status_ok(302)
    assert explicit.status_ok(409)
    assert not explicit.status_ok(201)


def test_idempotency_key_separates_incidents_steps_and_rollbacks() -> None:
    keys = {
        idempotency_key(incident_id=1, runbook_id="q", step=2, rollback=False),
        idempotency_key(incident_id=1, runbook_id="q", step=2, rollback=True),
        idempotency_key(incident_id=2, runbook_id="q", step=2, rollback=False),
        idempotency_key(incident_id=1, runbook_id="q", step=3, rollback=False),
    }

    assert len(keys) == 4
