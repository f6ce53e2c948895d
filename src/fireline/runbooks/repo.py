"""Runbooks in a Git repository, read through dulwich: any commit, and each runbook's history.

Every public call opens the repository afresh, so new commits are seen at once; parsed files
and scanned trees are cached by their (immutable) object ids.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from dulwich.errors import NotGitRepository
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.objectspec import AmbiguousShortId, scan_for_short_id
from dulwich.repo import Repo

from fireline.domain.errors import FieldError, Invalid, NotFound, Unavailable
from fireline.domain.labels import Labels
from fireline.runbooks.model import Runbook
from fireline.runbooks.parser import has_front_matter, parse_runbook, read_id

MAX_FILE_BYTES = 1024 * 1024
MAX_CACHE = 10_000
_COMMITISH = re.compile(r"^[0-9a-fA-F]{7,64}$")

K = TypeVar("K")
V = TypeVar("V")
Files = tuple[tuple[str, bytes], ...]  # (path in the repository, blob id), sorted by path
Located = tuple[str, bytes] | None  # where one runbook id lives in one tree


@dataclass(frozen=True, slots=True)
class RunbookAt:
    """A runbook as of one commit, with the blob it was parsed from."""

    runbook: Runbook
    commit: str
    blob_sha: str


@dataclass(frozen=True, slots=True)
class Revision:
    """A commit that changed a runbook: added, edited, renamed (path is new) or deleted (None)."""

    commit: str
    author: str
    committed_at: datetime
    message: str
    path: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that means to be a runbook (it has front matter) but is not a valid one."""

    path: str
    commit: str
    errors: tuple[FieldError, ...]
    runbook_id: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every runbook at one commit, and the files that failed to parse."""

    commit: str
    runbooks: tuple[RunbookAt, ...]
    problems: tuple[Problem, ...]


class RunbookRepo:
    """The runbooks (`*.md` with front matter) in a Git repository, at any commit.

    `path` is the repository's top (a work tree with `.git`, or a bare repository); `subdir`
    limits the runbooks to one folder of it, like `runbooks` in a configuration repository.
    """

    def __init__(self, path: Path, *, subdir: str = "") -> None:
        self.path = path
        self.subdir = subdir.strip("/")
        self._parsed: dict[tuple[bytes, str], Runbook | Problem] = {}
        self._trees: dict[bytes, Files] = {}
        self._ids: dict[bytes, str | None] = {}
        self._located: dict[bytes, dict[str, tuple[str, bytes]]] = {}

    @contextmanager
    def _open(self) -> Iterator[Repo]:
        try:
            repo = Repo(str(self.path))
        except NotGitRepository as error:
            raise Unavailable(
                f"the runbook repository {self.path} is not a Git repository; make it one with "
                f"`git -C {self.path} init && git -C {self.path} add -A && "
                f"git -C {self.path} commit -m 'Add runbooks'`"
            ) from error
        try:
            yield repo
        finally:
            repo.close()

    def head(self) -> str:
        """Return the commit id HEAD points at."""
        with self._open() as repo:
            return _head(repo, self.path).decode("ascii")

    def resolve(self, at: str | None = None) -> str:
        """Return the full commit id of `at` (a commit id or a prefix of 7+ hex digits), or HEAD."""
        with self._open() as repo:
            return _resolve(repo, at, self.path).decode("ascii")

    def scan(self, *, at: str | None = None) -> Snapshot:
        """Parse every runbook at commit `at` (HEAD by default); bad files become problems."""
        with self._open() as repo:
            commit_id = _resolve(repo, at, self.path)
            commit = _commit(repo, commit_id)
            found: list[RunbookAt] = []
            problems: list[Problem] = []
            where: dict[str, str] = {}
            for path, blob_id in self._files(repo, commit.tree):
                item = self._parse(repo, blob_id, path=path, commit=commit_id.decode())
                if item is None:
                    continue
                if isinstance(item, Problem):
                    problems.append(item)
                elif item.id in where:
                    message = f"{item.id!r} is already the id of {where[item.id]}"
                    error = FieldError("id", message)
                    problems.append(Problem(path, commit_id.decode(), (error,), item.id))
                else:
                    where[item.id] = path
                    found.append(RunbookAt(item, commit_id.decode(), blob_id.decode()))
            return Snapshot(commit_id.decode(), tuple(found), tuple(problems))

    def list_(self, *, at: str | None = None) -> list[RunbookAt]:
        """Return every valid runbook at commit `at` (HEAD by default), ordered by path."""
        return list(self.scan(at=at).runbooks)

    def problems(self, *, at: str | None = None) -> list[Problem]:
        """Return the runbook files at commit `at` that do not parse, ordered by path."""
        return list(self.scan(at=at).problems)

    def get(self, runbook_id: str, *, at: str | None = None) -> RunbookAt:
        """Return runbook `runbook_id` as of commit `at` (HEAD by default); raise NotFound."""
        snapshot = self.scan(at=at)
        for item in snapshot.runbooks:
            if item.runbook.id == runbook_id:
                return item
        broken = [p.path for p in snapshot.problems if p.runbook_id == runbook_id]
        hint = f" ({', '.join(broken)} has it but does not parse)" if broken else ""
        raise NotFound(f"no runbook {runbook_id!r} at commit {snapshot.commit[:12]}{hint}")

    def find_for(self, labels: Labels, *, at: str | None = None) -> RunbookAt | None:
        """Return the first runbook (by path) whose `applies_to` matches the alert's labels."""
        return next((r for r in self.list_(at=at) if r.runbook.applies(labels)), None)

    def log(self, runbook_id: str, *, limit: int = 50, at: str | None = None) -> list[Revision]:
        """Return the commits that changed runbook `runbook_id`, newest first; raise NotFound.

        The runbook is followed by its id, so a renamed file keeps its history.
        """
        if limit < 1:
            raise Invalid([FieldError("limit", "must be at least 1")])
        revisions: list[Revision] = []
        with self._open() as repo:
            start = _resolve(repo, at, self.path)
            for entry in repo.get_walker(include=[ObjectID(start)]):
                commit = entry.commit
                mine = self._locate(repo, commit.tree, runbook_id)
                before = [
                    self._locate(repo, _commit(repo, p).tree, runbook_id) for p in commit.parents
                ]
                if (mine is not None and not before) or (before and mine not in before):
                    revisions.append(_revision(commit, None if mine is None else mine[0]))
                    if len(revisions) >= limit:
                        break
        if not revisions:
            raise NotFound(f"no runbook {runbook_id!r} in the history of {self.path}")
        return revisions

    def _files(self, repo: Repo, root: bytes) -> Files:
        """List the `*.md` files under `subdir` of tree `root`."""
        tree_id = root
        if self.subdir:
            try:
                mode, tree_id = tree_lookup_path(
                    repo.__getitem__, ObjectID(root), self.subdir.encode()
                )
            except KeyError:
                return ()
            if not stat.S_ISDIR(mode):
                return ()
        prefix = f"{self.subdir}/" if self.subdir else ""
        return self._walk_tree(repo, tree_id, prefix=prefix)

    def _walk_tree(self, repo: Repo, tree_id: bytes, *, prefix: str) -> Files:
        key = prefix.encode() + b"\0" + tree_id
        cached = self._trees.get(key)
        if cached is not None:
            return cached
        tree = repo[ObjectID(tree_id)]
        assert isinstance(tree, Tree)
        files: list[tuple[str, bytes]] = []
        for entry in tree.iteritems():
            name = entry.path.decode("utf-8", "replace")
            if stat.S_ISDIR(entry.mode) and not name.startswith("."):
                files.extend(self._walk_tree(repo, entry.sha, prefix=f"{prefix}{name}/"))
            elif stat.S_ISREG(entry.mode) and name.endswith(".md"):
                files.append((prefix + name, entry.sha))
        result = tuple(sorted(files))
        _remember(self._trees, key, result)
        return result

    def _parse(
        self, repo: Repo, blob_id: bytes, *, path: str, commit: str
    ) -> Runbook | Problem | None:
        key = (blob_id, path)
        cached = self._parsed.get(key)
        if cached is None:
            cached = _parse_blob(_blob(repo, blob_id), path=path)
            if cached is None:
                return None
            _remember(self._parsed, key, cached)
        if isinstance(cached, Problem):
            return Problem(path, commit, cached.errors, cached.runbook_id)
        return cached

    def _locate(self, repo: Repo, root: bytes, runbook_id: str) -> Located:
        """Find where runbook `runbook_id` lives in tree `root`: (path, blob id) or None."""
        where = self._located.get(root)
        if where is None:
            where = {}
            for path, blob_id in self._files(repo, root):
                if blob_id not in self._ids:
                    _remember(self._ids, blob_id, read_id(_text(_blob(repo, blob_id))))
                found = self._ids[blob_id]
                if found is not None:
                    where.setdefault(found, (path, blob_id))
            _remember(self._located, root, where)
        return where.get(runbook_id)


def _remember(cache: dict[K, V], key: K, value: V) -> None:
    if len(cache) >= MAX_CACHE:
        cache.clear()
    cache[key] = value


def _head(repo: Repo, path: Path) -> bytes:
    try:
        return bytes(repo.head())
    except KeyError as error:
        raise Unavailable(
            f"the runbook repository {path} has no commits yet; commit the runbooks first"
        ) from error


def _resolve(repo: Repo, at: str | None, path: Path) -> bytes:
    if at is None:
        return _head(repo, path)
    if not _COMMITISH.match(at):
        raise Invalid([FieldError("at", "must be a commit id or a prefix of 7+ hex digits")])
    wanted = at.lower().encode("ascii")
    try:
        if len(wanted) == repo.object_format.hex_length:
            found = repo.object_store[ObjectID(wanted)]
        else:
            found = scan_for_short_id(repo.object_store, wanted, Commit)
    except KeyError as error:
        raise NotFound(f"no commit {at} in the runbook repository {path}") from error
    except AmbiguousShortId as error:
        raise Invalid(
            [FieldError("at", f"{at} matches several commits; give more digits")]
        ) from error
    if not isinstance(found, Commit):
        raise Invalid([FieldError("at", f"{at} is a {found.type_name.decode()}, not a commit")])
    return bytes(found.id)


def _commit(repo: Repo, commit_id: bytes) -> Commit:
    found = repo[ObjectID(commit_id)]
    assert isinstance(found, Commit)
    return found


def _blob(repo: Repo, blob_id: bytes) -> bytes:
    found = repo[ObjectID(blob_id)]
    assert isinstance(found, Blob)
    return bytes(found.data)


def _text(data: bytes) -> str:
    return data[:MAX_FILE_BYTES].decode("utf-8", "replace")


def _parse_blob(data: bytes, *, path: str) -> Runbook | Problem | None:
    """Parse one file's bytes; None when it is plain Markdown (no front matter)."""
    if len(data) > MAX_FILE_BYTES:
        return Problem(path, "", (FieldError("file", "is larger than 1 MiB"),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Problem(path, "", (FieldError("file", "is not UTF-8 text"),))
    if not has_front_matter(text):
        return None
    try:
        return parse_runbook(text, path=path)
    except Invalid as error:
        return Problem(path, "", error.errors, read_id(text))


def _revision(commit: Commit, path: str | None) -> Revision:
    return Revision(
        commit=commit.id.decode("ascii"),
        author=commit.author.decode("utf-8", "replace"),
        committed_at=datetime.fromtimestamp(commit.commit_time, tz=UTC),
        message=commit.message.decode("utf-8", "replace").strip(),
        path=path,
    )
