"""`fireline incident …` against a real server over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from fireline.cli.incident import JOB_PAGE
from tests.cli.harness import Fireline
from tests.support.server import serving

MakeToken = Callable[..., str]
OPEN = ("incident", "create", "--title", "Queue saturated", "--severity", "SEV2")
OPEN_EXTRACTION = (*OPEN, "--service", "extraction", "--region", "eu-west-1")


@pytest.fixture
def opened(responder: Fireline) -> str:
    """Open INC-1 as alice and return its reference."""
    incident = responder.json(*OPEN_EXTRACTION)
    assert incident["ref"] == "INC-1"
    return "INC-1"


@pytest.fixture
def not_fireline() -> Iterator[str]:
    """A web server that answers every request with an HTML page, like a proxy's login page."""

    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html")],
            }
        )
        await send({"type": "http.response.body", "body": b"<html>Please sign in</html>"})

    with serving(page) as url:
        yield url


def test_create_then_list_shows_the_incident(responder: Fireline) -> None:
    created = responder.ok(*OPEN_EXTRACTION)
    assert created.stdout == "opened INC-1 (SEV2, extraction)\n"
    table = responder.ok("incident", "list").stdout
    row = next(line for line in table.splitlines() if "INC-1" in line)
    for cell in ("SEV2", "triggered", "extraction", "eu-west-1", "Queue saturated"):
        assert cell in row


def test_list_json_gives_every_field_of_each_incident(responder: Fireline) -> None:
    responder.ok(*OPEN_EXTRACTION)
    responder.ok(*OPEN, "--service", "extraction")
    items = responder.json("incident", "list")
    assert [i["ref"] for i in items] == ["INC-2", "INC-1"]
    first = items[1]
    assert first["title"] == "Queue saturated"
    assert (first["severity"], first["status"], first["version"]) == ("SEV2", "triggered", 1)
    assert (first["service"], first["regions"]) == ("extraction", ["eu-west-1"])
    assert first["created_by"] == "alice"
    assert first["roles"] == {
        "commander": None,
        "communications_lead": None,
        "scribe": None,
        "responders": [],
    }


def test_list_without_incidents_says_so(responder: Fireline) -> None:
    assert responder.ok("incident", "list").stdout == "no incidents match\n"
    assert responder.json("incident", "list") == []


def test_list_filters_by_status_severity_service_and_job(
    responder: Fireline, make_service: Callable[..., str]
) -> None:
    make_service("uploads")
    responder.ok(*OPEN_EXTRACTION)
    responder.ok(
        "incident",
        "create",
        "--title",
        "Uploads fail",
        "--severity",
        "SEV1",
        "--service",
        "uploads",
    )
    responder.ok("incident", "ack", "INC-2")
    responder.ok("incident", "jobs", "INC-1", "--link", "job-7")

    def refs(*filters: str) -> list[str]:
        return [i["ref"] for i in responder.json("incident", "list", *filters)]

    assert refs() == ["INC-2", "INC-1"]
    assert refs("--status", "acknowledged") == ["INC-2"]
    assert refs("--status", "acknowledged", "--status", "triggered") == ["INC-2", "INC-1"]
    assert refs("--severity", "SEV1") == ["INC-2"]
    assert refs("--service", "extraction") == ["INC-1"]
    assert refs("--region", "eu-west-1") == ["INC-1"]
    assert refs("--job", "job-7") == ["INC-1"]
    assert refs("--limit", "1") == ["INC-2"]


def test_list_with_a_bad_filter_exits_1_naming_it(responder: Fireline) -> None:
    result = responder("incident", "list", "--status", "sleeping")
    assert result.exit_code == 1
    assert "status[0]:" in result.stderr


def test_show_prints_the_fields_and_the_timeline(responder: Fireline, opened: str) -> None:
    responder.ok("incident", "ack", opened, "--reason", "looking at queue depth")
    responder.ok("incident", "note", opened, "Scaled workers to 12")
    out = responder.ok("incident", "show", opened).stdout
    lines = out.splitlines()
    words = " ".join(out.split())  # only the timeline's data column wraps
    assert lines[0] == "INC-1 Queue saturated"
    assert "acknowledged (version 2)" in out
    assert any(line.split() == ["service", "extraction"] for line in lines)
    assert any(line.split() == ["commander", "-"] for line in lines)
    for kind in ("incident.opened", "incident.acknowledge", "note.added"):
        assert kind in out
    assert "reason=looking at queue depth" in words
    assert "text=Scaled workers to 12" in words


def test_show_json_includes_the_timeline_unless_told_not_to(
    responder: Fireline, opened: str
) -> None:
    responder.ok("incident", "note", opened, "first note")
    shown = responder.json("incident", "show", opened)
    assert (shown["ref"], shown["status"]) == (opened, "triggered")
    assert [e["kind"] for e in shown["timeline"]] == ["incident.opened", "note.added"]
    assert [e["seq"] for e in shown["timeline"]] == [1, 2]
    assert shown["timeline"][1]["prev_hash"] == shown["timeline"][0]["hash"]
    assert "timeline" not in responder.json("incident", "show", opened, "--no-timeline")


def test_show_accepts_the_bare_number(responder: Fireline, opened: str) -> None:
    assert responder.json("incident", "show", "1")["ref"] == opened


def test_each_transition_prints_the_new_status_and_version(
    responder: Fireline, opened: str
) -> None:
    steps = [
        ("ack", "INC-1 acknowledged: now acknowledged (version 2)"),
        ("mitigate", "INC-1 mitigated: now mitigated (version 3)"),
        ("resolve", "INC-1 resolved: now resolved (version 4)"),
        ("reopen", "INC-1 reopened: now triggered (version 5)"),
    ]
    for command, said in steps:
        result = responder.ok("incident", command, opened, "--reason", f"{command} now")
        assert result.stdout == f"{said}\n"
    timeline = responder.json("incident", "show", opened)["timeline"]
    assert [e["data"].get("reason") for e in timeline[1:]] == [
        "ack now",
        "mitigate now",
        "resolve now",
        "reopen now",
    ]
    assert {e["actor"] for e in timeline} == {"alice"}


def test_transition_json_is_the_incident(responder: Fireline, opened: str) -> None:
    incident = responder.json("incident", "resolve", opened)
    assert (incident["ref"], incident["status"], incident["version"]) == (opened, "resolved", 2)
    assert incident["resolved_at"] is not None


def test_ack_twice_exits_1_with_the_conflict(responder: Fireline, opened: str) -> None:
    responder.ok("incident", "ack", opened)
    again = responder("incident", "ack", opened)
    assert again.exit_code == 1
    assert again.stdout == ""
    assert "409 cannot acknowledge an incident that is acknowledged" in again.stderr
    assert "hint: show the incident again (`fireline incident show REF`)" in again.stderr


def test_stale_expected_version_exits_1_and_changes_nothing(
    responder: Fireline, opened: str
) -> None:
    responder.ok("incident", "ack", opened, "--expected-version", "1")
    stale = responder("incident", "mitigate", opened, "--expected-version", "1")
    assert stale.exit_code == 1
    assert stale.stderr.startswith("error: 409 ")
    assert responder.json("incident", "show", opened)["status"] == "acknowledged"


def test_invalid_input_exits_1_naming_each_field_once(responder: Fireline) -> None:
    result = responder(
        "incident", "create", "--title", " ", "--severity", "SEV9", "--service", "nowhere"
    )
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 422 invalid input:"
    fields = {line.split(":")[0].strip() for line in lines[1:]}
    assert fields == {"title", "severity", "service"}
    assert all(line.startswith("  ") for line in lines[1:])


def test_no_token_exits_3_with_a_hint_to_create_one(responder: Fireline, opened: str) -> None:
    result = responder.with_env(FIRELINE_TOKEN=None)("incident", "show", opened)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: 401 ")
    assert "fireline token create" in result.stderr
    assert "--token or FIRELINE_TOKEN" in result.stderr


def test_unknown_token_exits_3(responder: Fireline) -> None:
    result = responder.with_env(FIRELINE_TOKEN="fl_not-a-real-secret")("incident", "list")
    assert result.exit_code == 3
    assert "401 the token is not valid" in result.stderr


def test_viewer_cannot_open_an_incident_exits_3(responder: Fireline, make_token: MakeToken) -> None:
    viewer = responder.with_env(FIRELINE_TOKEN=make_token("viewer", name="vera"))
    result = viewer(*OPEN_EXTRACTION)
    assert result.exit_code == 3
    assert "403 " in result.stderr
    assert "stronger role" in result.stderr
    assert viewer.json("incident", "list") == []


@pytest.mark.parametrize("command", ["show", "ack", "note", "jobs"])
def test_unknown_incident_exits_4(responder: Fireline, command: str) -> None:
    args = ("incident", command, "INC-99", *(["a note"] if command == "note" else []))
    result = responder(*args)
    assert result.exit_code == 4
    assert "no incident INC-99" in result.stderr


@pytest.mark.parametrize("ref", ["banana", "INC-0", "1/timeline", "../services", "[/x]"])
@pytest.mark.usefixtures("opened")
def test_a_malformed_reference_exits_4_and_never_reaches_another_endpoint(
    responder: Fireline, ref: str
) -> None:
    result = responder("incident", "show", ref, "--json")
    assert result.exit_code == 4
    assert result.stdout == ""
    assert f"no incident {ref!r}: references look like INC-12 or 12" in result.stderr


def test_unreachable_server_exits_5_with_a_hint(fireline: Fireline, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    result = fireline("incident", "list", "--server", url, "--token", "fl_x")
    assert result.exit_code == 5
    lines = result.stderr.splitlines()
    # Each message is one line, however narrow the terminal, so the URL stays whole.
    assert len(lines) == 2
    assert lines[0].startswith(f"error: cannot reach {url}: ")
    assert lines[1] == (
        "hint: start it with `make run` or `fireline serve`, or pass --server / FIRELINE_SERVER"
    )


def test_a_server_that_is_not_fireline_exits_5(fireline: Fireline, not_fireline: str) -> None:
    result = fireline("incident", "list", "--server", not_fireline, "--token", "fl_x")
    assert result.exit_code == 5
    assert "is it a Fireline server?" in result.stderr


def test_options_win_over_the_environment(
    responder: Fireline, live_url: str, closed_port: int, make_token: MakeToken
) -> None:
    misconfigured = responder.with_env(
        FIRELINE_SERVER=f"http://127.0.0.1:{closed_port}", FIRELINE_TOKEN="fl_stale"
    )
    token = make_token("responder", name="bob")
    result = misconfigured("incident", "list", "--json", "--server", live_url, "--token", token)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_note_goes_to_the_timeline(responder: Fireline, opened: str) -> None:
    assert responder.ok("incident", "note", opened, "Scaled workers").stdout == (
        "note added to INC-1 as event 2\n"
    )
    event = responder.json("incident", "note", opened, "Drained the queue")
    assert (event["seq"], event["kind"], event["actor"]) == (3, "note.added", "alice")
    assert event["data"]["text"] == "Drained the queue"


def test_assign_needs_a_commander_token(
    responder: Fireline, opened: str, make_token: MakeToken
) -> None:
    refused = responder("incident", "assign", opened, "--role", "scribe", "--person", "dan")
    assert refused.exit_code == 3
    assert "403 " in refused.stderr
    assert "ask an admin for a token with a stronger role" in refused.stderr

    commander = responder.with_env(FIRELINE_TOKEN=make_token("commander", name="carol"))
    done = commander.ok("incident", "assign", opened, "--role", "scribe", "--person", "dan")
    assert done.stdout == "INC-1: dan now scribe\n"
    roles = commander.json("incident", "assign", opened, "--role", "responder", "--person", "erin")[
        "roles"
    ]
    assert (roles["scribe"], roles["responders"]) == ("dan", ["erin"])
    removed = commander.ok(
        "incident", "assign", opened, "--role", "scribe", "--person", "dan", "--remove"
    )
    assert removed.stdout == "INC-1: dan no longer scribe\n"


def test_assign_an_unknown_role_exits_1(
    responder: Fireline, opened: str, make_token: MakeToken
) -> None:
    commander = responder.with_env(FIRELINE_TOKEN=make_token("commander", name="carol"))
    result = commander("incident", "assign", opened, "--role", "captain", "--person", "x")
    assert result.exit_code == 1
    assert "  role: " in result.stderr


def test_jobs_link_then_list_them(responder: Fireline, opened: str) -> None:
    linked = responder.ok("incident", "jobs", opened, "--link", "job-a", "--link", "job-b")
    assert linked.stdout == "INC-1: 2 of 2 job IDs linked; 2 linked in all\n"
    listed = responder("incident", "jobs", opened)
    assert listed.exit_code == 0
    assert listed.stdout == "job-a\njob-b\n"
    assert listed.stderr == "2 job IDs linked to INC-1\n"
    assert [j["job_id"] for j in responder.json("incident", "jobs", opened)] == ["job-a", "job-b"]


def test_jobs_link_skips_those_already_linked_and_unlink_removes(
    responder: Fireline, opened: str
) -> None:
    responder.ok("incident", "jobs", opened, "--link", "job-a", "--link", "job-b")
    again = responder.ok("incident", "jobs", opened, "--link", "job-b", "--link", "job-c")
    assert again.stdout == "INC-1: 1 of 2 job IDs linked; 3 linked in all\n"
    both = responder.ok("incident", "jobs", opened, "--link", "job-d", "--unlink", "job-a")
    assert both.stdout.splitlines() == [
        "INC-1: 1 of 1 job IDs linked; 4 linked in all",
        "INC-1: 1 of 1 job IDs unlinked; 3 linked in all",
    ]
    assert responder("incident", "jobs", opened).stdout.split() == ["job-b", "job-c", "job-d"]


def test_jobs_file_with_1000_ids_links_them_all(
    responder: Fireline, opened: str, tmp_path: Path
) -> None:
    ids = [f"job-{n:05d}" for n in range(1000)]
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(f"  {i}  " for i in ids) + "\n\n")
    result = responder.ok("incident", "jobs", opened, "--file", str(path))
    assert result.stdout == "INC-1: 1000 of 1000 job IDs linked; 1000 linked in all\n"
    assert responder("incident", "jobs", opened).stdout.split() == ids
    assert [i["ref"] for i in responder.json("incident", "list", "--job", "job-00999")] == [opened]


def test_jobs_listing_pages_past_one_request_and_feeds_file(
    responder: Fireline, opened: str, tmp_path: Path
) -> None:
    ids = [f"job-{n:05d}" for n in range(JOB_PAGE + 1)]
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids))
    responder.ok("incident", "jobs", opened, "--file", str(source))
    listed = tmp_path / "listed.txt"
    listed.write_text(responder("incident", "jobs", opened).stdout)
    assert listed.read_text().split() == ids

    responder.ok(*OPEN_EXTRACTION)
    copied = responder.ok("incident", "jobs", "INC-2", "--file", str(listed))
    assert copied.stdout == (
        f"INC-2: {len(ids)} of {len(ids)} job IDs linked; {len(ids)} linked in all\n"
    )


def test_jobs_with_an_empty_file_exits_2(responder: Fireline, opened: str, tmp_path: Path) -> None:
    empty = tmp_path / "ids.txt"
    empty.write_text("\n  \n")
    result = responder("incident", "jobs", opened, "--file", str(empty))
    assert result.exit_code == 2
    assert "lists no job IDs" in result.stderr
    missing = responder("incident", "jobs", opened, "--file", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2


def test_jobs_with_a_bad_id_exits_1_naming_it(responder: Fireline, opened: str) -> None:
    result = responder("incident", "jobs", opened, "--link", "job-1", "--link", "bad id")
    assert result.exit_code == 1
    assert "  job_ids[1]: 'bad id' is not a job ID" in result.stderr
    assert responder("incident", "jobs", opened).stdout == ""


def test_long_job_ids_print_whole_on_a_narrow_terminal(responder: Fireline, opened: str) -> None:
    long_id = "j" * 128
    responder.ok("incident", "jobs", opened, "--link", long_id)
    assert responder("incident", "jobs", opened).stdout == f"{long_id}\n"


def test_text_with_brackets_prints_as_written(responder: Fireline) -> None:
    title = "disk full [/var] [bold]now"
    responder.ok(
        "incident", "create", "--title", title, "--severity", "SEV3", "--service", "extraction"
    )
    responder.ok("incident", "note", "INC-1", "[red]see[/red] [/x]")
    assert title in responder.ok("incident", "list").stdout
    shown = responder.ok("incident", "show", "INC-1").stdout
    assert f"INC-1 {title}" in shown
    assert "[red]see[/red] [/x]" in shown


def test_list_keeps_each_incident_on_one_line_on_a_narrow_terminal(
    responder: Fireline,
) -> None:
    title = "Extraction queue saturated in eu-west-1 while the nightly batch of scans ran"
    responder.ok(
        "incident",
        "create",
        "--title",
        title,
        "--severity",
        "SEV2",
        "--service",
        "extraction",
        "--region",
        "eu-west-1",
        "--region",
        "us-east-1",
    )
    table = responder.ok("incident", "list").stdout
    row = next(line for line in table.splitlines() if "INC-1" in line)
    assert row.split()[:4] == ["INC-1", "SEV2", "triggered", "extraction"]
    assert row.endswith("…  2026-01-05 09:00")
    assert len(row) <= 80
    assert f"INC-1 {title}" in " ".join(responder.ok("incident", "show", "INC-1").stdout.split())
    wide = responder.with_env(COLUMNS="160")("incident", "list").stdout
    assert f"eu-west-1,us-east-1  {title}  2026-01-05 09:00" in wide
