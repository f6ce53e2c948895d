"""Runbooks in real Git repositories built with dulwich: versions, history, renames, problems."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dulwich import porcelain
from dulwich.repo import Repo

from fireline.domain.errors import Invalid, NotFound, Unavailable
from fireline.runbooks.repo import RunbookRepo

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def _runbook(runbook_id: str, title: str, *, alertname: str = "QueueSaturated") -> str:
    return (
        f"---\nid: {runbook_id}\ntitle: {title}\nowners: [platform]\n"
        f"applies_to:\n  alertnames: [{alertname}]\n"
        "steps:\n  - title: Look\n---\n"
        f"# {title}\n"
    )


class _Git:
    """A scratch Git work tree with deterministic commits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.repo = porcelain.init(str(path))
        self.clock = T0

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        porcelain.add(self.repo, paths=[str(target)])

    def move(self, old: str, new: str) -> None:
        porcelain.mv(self.repo, str(self.path / old), str(self.path / new))

    def remove(self, name: str) -> None:
        porcelain.remove(self.repo, paths=[str(self.path / name)])

    def commit(self, message: str, *, author: str = "Ada <ada@example.com>") -> str:
        self.clock += 3600
        sha = porcelain.commit(
            self.repo,
            message=message.encode(),
            author=author.encode(),
            committer=author.encode(),
            author_timestamp=self.clock,
            author_timezone=0,
            commit_timestamp=self.clock,
            commit_timezone=0,
        )
        return sha.decode()


@pytest.fixture
def git(tmp_path: Path) -> Iterator[_Git]:
    """An empty Git repository in a temporary folder."""
    scratch = _Git(tmp_path / "runbooks")
    yield scratch
    scratch.repo.close()


@pytest.fixture
def history(git: _Git) -> dict[str, str]:
    """Commits: v1 of queue.md, v2 of it, a rename, an unrelated runbook, a broken file."""
    git.write("queue.md", _runbook("queue-saturation", "Queue v1"))
    git.write("README.md", "# Runbooks\n\nNot a runbook: no front matter.\n")
    v1 = git.commit("Add queue runbook")
    git.write("queue.md", _runbook("queue-saturation", "Queue v2"))
    v2 = git.commit("Queue: scale higher", author="Bob <bob@example.com>")
    git.move("queue.md", "queue-saturation.md")
    renamed = git.commit("Rename queue runbook")
    git.write("tokens/token-expiration.md", _runbook("token", "Tokens", alertname="TokenExp"))
    other = git.commit("Add token runbook")
    git.write("broken.md", "---\nid: broken\ntitle: Broken\nowners: [sre]\nsteps: 3\n---\n")
    git.write("yaml.md", "---\nid: [unclosed\n---\n")
    broken = git.commit("Add a broken runbook")
    return {"v1": v1, "v2": v2, "renamed": renamed, "other": other, "broken": broken}


def test_head_is_the_last_commit(git: _Git, history: dict[str, str]) -> None:
    assert RunbookRepo(git.path).head() == history["broken"]


def test_list_at_head_has_every_valid_runbook(git: _Git, history: dict[str, str]) -> None:
    found = RunbookRepo(git.path).list_()

    assert [(r.runbook.id, r.runbook.path) for r in found] == [
        ("queue-saturation", "queue-saturation.md"),
        ("token", "tokens/token-expiration.md"),
    ]
    assert {r.commit for r in found} == {history["broken"]}
    assert found[0].runbook.title == "Queue v2"


def test_get_at_an_old_commit_shows_that_version(git: _Git, history: dict[str, str]) -> None:
    repo = RunbookRepo(git.path)

    old = repo.get("queue-saturation", at=history["v1"])
    new = repo.get("queue-saturation")

    assert old.runbook.title == "Queue v1"
    assert old.runbook.path == "queue.md"
    assert old.commit == history["v1"]
    assert new.runbook.title == "Queue v2"
    assert new.blob_sha != old.blob_sha
    assert len(old.blob_sha) == 40


def test_short_commit_prefixes_are_accepted(git: _Git, history: dict[str, str]) -> None:
    repo = RunbookRepo(git.path)

    at_v2 = repo.get("queue-saturation", at=history["v2"][:7].upper())

    assert at_v2.commit == history["v2"]
    assert at_v2.runbook.title == "Queue v2"
    assert repo.resolve(history["v1"][:10]) == history["v1"]
    assert [r.runbook.id for r in repo.list_(at=history["v1"][:8])] == ["queue-saturation"]


@pytest.mark.parametrize("at", ["HEAD", "main", "abc123", "g" * 40, "HEAD~1", "a" * 65, ""])
def test_anything_but_a_hex_commit_id_is_refused(
    git: _Git, history: dict[str, str], at: str
) -> None:
    del history
    with pytest.raises(Invalid) as error:
        RunbookRepo(git.path).list_(at=at)

    assert [e.field for e in error.value.errors] == ["at"]


@pytest.mark.parametrize("at", ["0000000", "0" * 40, "0" * 64])
def test_unknown_commit_is_not_found(git: _Git, history: dict[str, str], at: str) -> None:
    del history
    with pytest.raises(NotFound, match=f"no commit {at} "):
        RunbookRepo(git.path).get("queue-saturation", at=at)


def test_a_blob_id_is_not_a_commit(git: _Git, history: dict[str, str]) -> None:
    blob = RunbookRepo(git.path).get("queue-saturation", at=history["v1"]).blob_sha

    with pytest.raises(Invalid, match="not a commit"):
        RunbookRepo(git.path).list_(at=blob)


def test_broken_file_is_reported_not_fatal(git: _Git, history: dict[str, str]) -> None:
    repo = RunbookRepo(git.path)

    problems = repo.problems()

    assert [(p.path, p.commit, p.runbook_id) for p in problems] == [
        ("broken.md", history["broken"], "broken"),
        ("yaml.md", history["broken"], None),
    ]
    assert [e.field for e in problems[0].errors] == ["steps"]
    assert [e.field for e in problems[1].errors] == ["front_matter"]
    assert repo.problems(at=history["other"]) == []
    with pytest.raises(NotFound, match=r"broken\.md has it but does not parse"):
        repo.get("broken")


def test_get_unknown_runbook_is_not_found(git: _Git, history: dict[str, str]) -> None:
    with pytest.raises(NotFound, match="no runbook 'token'"):
        RunbookRepo(git.path).get("token", at=history["renamed"])


def test_log_follows_the_runbook_across_a_rename(git: _Git, history: dict[str, str]) -> None:
    revisions = RunbookRepo(git.path).log("queue-saturation")

    assert [(r.commit, r.path, r.message) for r in revisions] == [
        (history["renamed"], "queue-saturation.md", "Rename queue runbook"),
        (history["v2"], "queue.md", "Queue: scale higher"),
        (history["v1"], "queue.md", "Add queue runbook"),
    ]
    assert revisions[1].author == "Bob <bob@example.com>"
    assert revisions[2].committed_at == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert all(r.committed_at.tzinfo is UTC for r in revisions)


def test_log_limit_and_start(git: _Git, history: dict[str, str]) -> None:
    repo = RunbookRepo(git.path)

    assert [r.commit for r in repo.log("queue-saturation", limit=1)] == [history["renamed"]]
    assert [r.commit for r in repo.log("queue-saturation", at=history["v2"])] == [
        history["v2"],
        history["v1"],
    ]
    with pytest.raises(Invalid):
        repo.log("queue-saturation", limit=0)


def test_log_shows_a_deletion_and_an_edit_with_rename(git: _Git, history: dict[str, str]) -> None:
    git.move("tokens/token-expiration.md", "token.md")
    git.write("token.md", _runbook("token", "Tokens, renamed and edited", alertname="TokenExp"))
    moved = git.commit("Move and edit token runbook")
    git.remove("token.md")
    deleted = git.commit("Retire token runbook")
    repo = RunbookRepo(git.path)

    revisions = repo.log("token")

    assert [(r.commit, r.path) for r in revisions] == [
        (deleted, None),
        (moved, "token.md"),
        (history["other"], "tokens/token-expiration.md"),
    ]
    with pytest.raises(NotFound):
        repo.get("token")


def test_log_of_a_runbook_that_never_existed(git: _Git, history: dict[str, str]) -> None:
    del history
    with pytest.raises(NotFound, match="no runbook 'nope' in the history"):
        RunbookRepo(git.path).log("nope")


def test_find_for_matches_alert_labels(git: _Git, history: dict[str, str]) -> None:
    repo = RunbookRepo(git.path)

    found = repo.find_for({"alertname": "TokenExp", "token": "uploads-api"})

    assert found is not None
    assert found.runbook.id == "token"
    assert repo.find_for({"alertname": "TokenExp"}, at=history["renamed"]) is None
    assert repo.find_for({"alertname": "Other"}) is None


def test_duplicate_ids_are_problems(git: _Git, history: dict[str, str]) -> None:
    del history
    git.write("zz-copy.md", _runbook("queue-saturation", "A copy"))
    git.commit("Copy the queue runbook")

    snapshot = RunbookRepo(git.path).scan()

    assert [r.runbook.title for r in snapshot.runbooks if r.runbook.id == "queue-saturation"] == [
        "Queue v2"
    ]
    duplicate = next(p for p in snapshot.problems if p.path == "zz-copy.md")
    assert "already the id of queue-saturation.md" in duplicate.errors[0].message


def test_new_commits_are_seen_without_reopening(git: _Git, history: dict[str, str]) -> None:
    del history
    repo = RunbookRepo(git.path)
    assert repo.get("queue-saturation").runbook.title == "Queue v2"

    git.write("queue-saturation.md", _runbook("queue-saturation", "Queue v3"))
    v3 = git.commit("Queue v3")

    assert repo.head() == v3
    assert repo.get("queue-saturation").runbook.title == "Queue v3"


def test_subdir_limits_the_runbooks(git: _Git) -> None:
    git.write("fireline.yaml", "services: []\n")
    git.write("notes/ideas.md", _runbook("not-mine", "Elsewhere"))
    git.write("runbooks/queue.md", _runbook("queue-saturation", "Queue"))
    git.commit("Config repository")

    found = RunbookRepo(git.path, subdir="runbooks/").list_()

    assert [(r.runbook.id, r.runbook.path) for r in found] == [
        ("queue-saturation", "runbooks/queue.md")
    ]
    assert RunbookRepo(git.path, subdir="missing").list_() == []
    assert RunbookRepo(git.path, subdir="fireline.yaml").list_() == []


def test_a_folder_that_is_not_a_repository_says_how_to_fix_it(tmp_path: Path) -> None:
    (tmp_path / "queue.md").write_text(_runbook("q", "Q"), encoding="utf-8")

    with pytest.raises(Unavailable, match="is not a Git repository.*git -C .* init"):
        RunbookRepo(tmp_path).list_()
    with pytest.raises(Unavailable):
        RunbookRepo(tmp_path / "missing").head()


def test_a_repository_without_commits_is_unavailable(tmp_path: Path) -> None:
    Repo.init(str(tmp_path)).close()

    with pytest.raises(Unavailable, match="has no commits yet"):
        RunbookRepo(tmp_path).list_()


def test_a_bare_repository_works(git: _Git, history: dict[str, str], tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    porcelain.clone(str(git.path), str(bare), bare=True).close()

    found = RunbookRepo(bare).get("queue-saturation", at=history["v1"])

    assert found.runbook.title == "Queue v1"
