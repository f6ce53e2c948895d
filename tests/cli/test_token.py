"""`fireline token …` on the database of FIRELINE_DATABASE_URL, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.cli.harness import Fireline

SECRET = re.compile(r"^fl_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def served(admin: Fireline, live_url: str) -> Fireline:
    """`fireline` for admin commands whose database the live server also serves."""
    return admin.with_env(FIRELINE_SERVER=live_url)


def test_create_prints_the_secret_once_on_a_line_of_its_own(served: Fireline) -> None:
    result = served.ok("token", "create", "--name", "grafana-bot", "--role", "responder")
    said, secret = result.stdout.splitlines()
    assert said == "token grafana-bot (responder) created; its secret, shown only this once:"
    assert SECRET.match(secret)
    works = served("incident", "list", "--json", env={"FIRELINE_TOKEN": secret})
    assert works.exit_code == 0, works.output


def test_create_json_gives_name_role_and_secret(admin: Fireline) -> None:
    issued = admin.json("token", "create", "--name", "ci", "--role", "viewer")
    assert (issued["name"], issued["role"]) == ("ci", "viewer")
    assert SECRET.match(issued["secret"])


def test_list_never_shows_secrets(admin: Fireline) -> None:
    secrets = [
        admin.json("token", "create", "--name", name, "--role", role)["secret"]
        for name, role in [("alice", "commander"), ("grafana-bot", "responder")]
    ]
    table = admin.ok("token", "list").stdout
    listed = admin.json("token", "list")
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed] == [
        ("alice", "commander", None),
        ("grafana-bot", "responder", None),
    ]
    assert {t["created_by"] for t in listed} == {"cli"}
    assert set(listed[0]) == {"name", "role", "created_at", "created_by", "revoked_at"}
    for secret in secrets:
        digest = hashlib.sha256(secret.encode()).hexdigest()
        for shown in (table, str(listed)):
            assert secret not in shown
            assert secret[3:15] not in shown
            assert digest not in shown
    rows = [line.split() for line in table.splitlines() if "alice" in line or "grafana" in line]
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("alice", "commander", "active"),
        ("grafana-bot", "responder", "active"),
    ]


def test_list_without_tokens_says_how_to_create_one(admin: Fireline) -> None:
    assert "fireline token create" in admin.ok("token", "list").stdout
    assert admin.json("token", "list") == []


def test_revoked_token_gets_401(served: Fireline) -> None:
    secret = served.json("token", "create", "--name", "bob", "--role", "responder")["secret"]
    as_bob = served.with_env(FIRELINE_TOKEN=secret)
    as_bob.ok("incident", "list")

    assert served.ok("token", "revoke", "bob").stdout == "token bob revoked\n"
    refused = as_bob("incident", "list")
    assert refused.exit_code == 3
    assert "401 the token 'bob' was revoked" in refused.stderr
    listed = served.json("token", "list")
    assert listed[0]["revoked_at"] is not None
    assert "revoked 2" in served.ok("token", "list").stdout


def test_create_with_a_bad_role_exits_2_and_names_the_role(admin: Fireline) -> None:
    result = admin("token", "create", "--name", "x", "--role", "boss")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--role: 'boss' is not one of viewer, responder, commander, admin" in result.stderr
    assert admin.json("token", "list") == []


def test_create_with_a_bad_name_exits_2_naming_it(admin: Fireline) -> None:
    result = admin("token", "create", "--name", "two words", "--role", "viewer")
    assert result.exit_code == 2
    assert "--name: 'two words' is not a valid name" in result.stderr


def test_create_with_a_taken_name_exits_1(admin: Fireline) -> None:
    admin.ok("token", "create", "--name", "bob", "--role", "viewer")
    admin.ok("token", "revoke", "bob")
    again = admin("token", "create", "--name", "bob", "--role", "admin")
    assert again.exit_code == 1
    assert "a token named 'bob' already exists (names are never reused)" in again.stderr


def test_revoke_an_unknown_token_exits_4_with_a_hint(admin: Fireline) -> None:
    result = admin("token", "revoke", "nobody")
    assert result.exit_code == 4
    assert "no token named 'nobody'" in result.stderr
    assert "`fireline token list` shows the names" in result.stderr


def test_token_commands_on_an_unmigrated_database_exit_5_with_a_hint(
    fireline: Fireline, empty_db_url: str
) -> None:
    result = fireline("token", "list", env={"FIRELINE_DATABASE_URL": empty_db_url})
    assert result.exit_code == 5
    assert "is not migrated to this version" in result.stderr
    assert "hint: run `fireline db upgrade` first" in result.stderr
