"""SQLite writers take turns across processes on a lock file beside the database."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from fireline.store.db import make_engine, sqlite_file
from fireline.store.sqlite_turn import LOCK_SUFFIX, WriteTurn

HOLDER = textwrap.dedent(
    """
    import sys
    from fireline.store.sqlite_turn import WriteTurn
    with WriteTurn(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.readline()
    print("released", flush=True)
    """
)


def _free(lock_file: Path) -> bool:
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock this probe took
    return True


def test_a_writer_in_another_process_holds_the_turn_until_it_is_done(tmp_path: Path) -> None:
    database = str(tmp_path / "fireline.db")
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None
        assert holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "held"
            assert not _free(tmp_path / f"fireline.db{LOCK_SUFFIX}")
            holder.stdin.write("go\n")
            holder.stdin.flush()
            with WriteTurn(database):  # waits for the other process, then has the turn
                assert holder.stdout.readline().strip() == "released"
                assert not _free(tmp_path / f"fireline.db{LOCK_SUFFIX}")
            assert _free(tmp_path / f"fireline.db{LOCK_SUFFIX}")
        finally:
            holder.kill()


def test_a_failed_lock_releases_the_turn_in_the_process(tmp_path: Path) -> None:
    turn = WriteTurn(str(tmp_path / "missing-directory" / "fireline.db"))
    with pytest.raises(FileNotFoundError), turn:
        pass
    with pytest.raises(FileNotFoundError), turn:  # not stuck on the thread lock
        pass


def test_an_in_memory_database_takes_turns_in_the_process_only(tmp_path: Path) -> None:
    with WriteTurn(None), WriteTurn(None):
        pass
    assert list(tmp_path.iterdir()) == []


def test_only_a_sqlite_file_has_a_lock_file_beside_it(tmp_path: Path) -> None:
    on_disk = make_engine(f"sqlite:///{tmp_path / 'fireline.db'}")
    in_memory = create_engine("sqlite://")
    try:
        assert sqlite_file(on_disk) == str(tmp_path / "fireline.db")
        assert sqlite_file(in_memory) is None
    finally:
        on_disk.dispose()
        in_memory.dispose()
