"""One `xuala run` per desk: a lock on the data directory (and the SQLite file when it
lives elsewhere) and, on PostgreSQL, an advisory lock on the database. Both are held by
the supervisor for as long as it lives and released by the kernel or the server when it
dies, however it dies; a second `xuala run` is refused with the PID that holds them."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from django.conf import settings
from django.db import connections

# pg_try_advisory_lock(int, int): "XULA", then what the lock is for (1: `xuala run`).
_PG_CLASS, _PG_OBJECT = 0x58554C41, 1


class AlreadyRunning(Exception):
    """Another `xuala run` holds the lock; the message names it and its PID."""


class RunLock:
    def __init__(self) -> None:
        self._files: list[int] = []
        self._pg = None

    def acquire(self) -> RunLock:
        try:
            for path, what in _lock_files():
                self._lock_file(path, what)
            if connections["default"].vendor == "postgresql":
                self._lock_database()
        except BaseException:
            self.release()
            raise
        return self

    def _lock_file(self, path: Path, what: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"xuala run is already running on {what} {path.parent} (PID {holder}); "
                "stop it first, or give this desk its own XUALA_DATA_DIR.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._files.append(fd)

    def _lock_database(self) -> None:
        wrapper = connections.create_connection("default")
        wrapper.ensure_connection()
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', %s, false)",
                           [f"xuala run pid {os.getpid()}"])
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_PG_CLASS, _PG_OBJECT])
            (locked,) = cursor.fetchone()
            if not locked:
                cursor.execute(
                    "SELECT a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s"
                    " AND l.objid = %s AND l.objsubid = 2"
                    " AND l.database = (SELECT oid FROM pg_database"
                    "                   WHERE datname = current_database())",
                    [_PG_CLASS, _PG_OBJECT])
                row = cursor.fetchone()
                holder = (row[0].removeprefix("xuala run pid ") if row and row[0] else "unknown")
                name = wrapper.settings_dict["NAME"]
                wrapper.close()
                raise AlreadyRunning(
                    f"xuala run is already running on the database {name} (PID {holder}); "
                    "stop it first.")
        self._pg = wrapper

    def release(self) -> None:
        for fd in self._files:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the only descriptor releases the flock
        self._files = []
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.close()
            self._pg = None


def _lock_files() -> list[tuple[Path, str]]:
    data_dir = Path(settings.DATA_DIR).resolve()
    files = [(data_dir / "run.lock", "the data directory")]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        db_file = Path(str(database["NAME"])).resolve()
        if db_file.parent != data_dir:
            files.append((db_file.with_name(db_file.name + ".run.lock"), "the database in"))
    return files
