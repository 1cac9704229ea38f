"""Snapshots of a site's database tables, and the way back to them.

A snapshot is one dump file per table (``area/label/db/<table>.sql``) and a manifest with,
for each of the site's tables (those whose name starts with ``$table_prefix``), its
``CREATE TABLE`` statement, its ``CHECKSUM TABLE`` value and the SHA-256 of its dump file.

* **Dump**: with the server's own ``mysqldump`` when it is installed (``--single-transaction
  --quick``, one process, its output split per table as it streams), else (or when it fails)
  through PyMySQL in one consistent-snapshot transaction. With ``mysqldump`` the checksum is
  taken before and after the dump: equal, it is the dump's; different (the site wrote
  meanwhile), the table is dumped again, and a table that never holds still is marked busy
  (checksum ``None``: always reloaded on a restore).
* **Incremental**: a table whose checksum and structure equal the previous snapshot's is not
  dumped again; its entry and dump are reused (linked in from an earlier run's snapshot).
* **Restore**: tables that did not exist in the snapshot (a plugin's upgrade created them) are
  dropped; a table whose checksum or structure differs (a plugin's upgrade altered it) is
  dropped and loaded from its dump, whose SHA-256 is checked first, and its checksum is
  compared with the snapshot's afterwards; the others are not touched. Loading goes through
  PyMySQL, statement by statement, so no client binary or password on a command line is
  needed.

Tables of the same database without the site's prefix are never touched: they may belong to
another site.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pymysql

from xuala.updates.agent.files import sha256_of, write_json
from xuala.wsa.database import DatabaseError
from xuala.wsa.database import connect as wp_connect

DROP_RE = re.compile(rb"^DROP TABLE IF EXISTS `((?:[^`]|``)+)`;")
FOOTER_RE = re.compile(rb"^/\*!\d+ SET \w+\s*=\s*@OLD_\w+ \*/;")
HEADER = (b"/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n"
          b"/*!40014 SET UNIQUE_CHECKS=0 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n"
          b"/*!40101 SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n")
INSERT_BYTES = 1 << 20  # like mysqldump's net_buffer_length


class DatabaseSnapshotError(Exception):
    """The database could not be dumped or restored."""


def connect(config: dict):
    try:
        connection = wp_connect(config)
    except DatabaseError as error:
        raise DatabaseSnapshotError(str(error)) from error
    connection.autocommit(True)  # each CHECKSUM sees the latest data, not an old snapshot
    return connection


def site_tables(connection, prefix: str) -> list[str]:
    like = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
    with connection.cursor() as cursor:
        cursor.execute("SHOW FULL TABLES LIKE %s", (like,))
        return sorted(row[0] for row in cursor.fetchall() if row[1] == "BASE TABLE")


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def checksums(connection, names: list[str]) -> dict[str, int | None]:
    if not names:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("CHECKSUM TABLE " + ", ".join(_quote(n) for n in names))
        by_name = {row[0].rpartition(".")[2]: row[1] for row in cursor.fetchall()}
    return {name: by_name.get(name) for name in names}


def structures(connection, names: list[str], exact: bool = False) -> dict[str, str]:
    """Each table's CREATE TABLE; without ``exact``, its AUTO_INCREMENT counter left out (it
    moves with every insert and is not the table's structure)."""
    found = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SHOW CREATE TABLE " + _quote(name))
            create = cursor.fetchone()[1]
            found[name] = create if exact else re.sub(r" AUTO_INCREMENT=\d+", "", create)
    return found


def _defaults_file(config: dict, folder: Path) -> Path:
    """A 0600 option file with the credentials, so no password shows in a process list."""
    host = config.get("DB_HOST") or "localhost"
    name, _, rest = host.partition(":")
    lines = ["[client]", f"user={_option(config.get('DB_USER', ''))}",
             f"password={_option(config.get('DB_PASSWORD', ''))}"]
    if rest.startswith("/"):
        lines.append(f"socket={_option(rest)}")
    else:
        lines.append(f"host={_option(name or 'localhost')}")
        if rest:
            lines.append(f"port={int(rest)}")
    path = folder / ".client.cnf"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


def _option(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Writer:
    """Per-table dump files, hashed as they are written."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.current: tuple | None = None
        self.done: dict[str, tuple[str, int]] = {}

    def start(self, name: str) -> None:
        self.finish()
        handle = open(self.folder / f"{_file_name(name)}.sql", "wb")  # noqa: SIM115
        self.current = (name, handle, hashlib.sha256(), [0])

    def write(self, data: bytes) -> None:
        if self.current is None:
            return
        _name, handle, digest, size = self.current
        handle.write(data)
        digest.update(data)
        size[0] += len(data)

    def finish(self) -> None:
        if self.current is not None:
            name, handle, digest, size = self.current
            handle.close()
            self.done[name] = (digest.hexdigest(), size[0])
            self.current = None


def _file_name(table: str) -> str:
    """A file name for a table name (escaped so any table name makes a distinct name)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", lambda m: f"@{ord(m.group(0)):04x}", table)
    return safe if not safe.startswith(".") else "@002e" + safe[1:]


def _mysqldump(config: dict, names: list[str], folder: Path, writer: _Writer) -> bytes:
    """Dump ``names`` with mysqldump into one file per table; returns the dump's header."""
    header = bytearray()
    with tempfile.TemporaryDirectory(prefix="xuala-dump-") as scratch:
        options = _defaults_file(config, Path(scratch))
        command = [shutil.which("mysqldump") or "mysqldump", f"--defaults-extra-file={options}",
                   "--single-transaction", "--quick", "--skip-lock-tables", "--no-tablespaces",
                   "--skip-comments", "--skip-dump-date", "--hex-blob", "--add-drop-table",
                   "--default-character-set=utf8mb4", "--skip-routines", "--skip-events",
                   "--triggers", config["DB_NAME"], *names]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = DROP_RE.match(line)
                if match:
                    writer.start(match.group(1).replace(b"``", b"`").decode())
                if FOOTER_RE.match(line):
                    continue
                if writer.current is None and not writer.done:
                    header += line
                else:
                    writer.write(line)
            writer.finish()
            errors = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            if proc.wait() != 0:
                raise DatabaseSnapshotError(f"mysqldump failed: {errors.strip()[:300]}")
    return bytes(header)


def _pymysql_dump(connection, names: list[str], writer: _Writer) -> dict[str, int | None]:
    """Dump ``names`` through PyMySQL in one consistent snapshot; returns their checksums
    taken in that same snapshot."""
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION time_zone = '+00:00'")
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
    try:
        sums = checksums(connection, names)
        made = structures(connection, names, exact=True)
        for name in names:
            writer.start(name)
            writer.write(f"DROP TABLE IF EXISTS {_quote(name)};\n".encode())
            writer.write(made[name].encode() + b";\n")
            with connection.cursor(pymysql.cursors.SSCursor) as cursor:
                cursor.execute("SELECT * FROM " + _quote(name))  # noqa: S608
                batch: list[str] = []
                size = 0
                for row in cursor:
                    value = "(" + ",".join(_literal(connection, v) for v in row) + ")"
                    batch.append(value)
                    size += len(value)
                    if size >= INSERT_BYTES:
                        _insert(writer, name, batch)
                        batch, size = [], 0
                _insert(writer, name, batch)
            _triggers(connection, name, writer)
        writer.finish()
    finally:
        connection.commit()
    return sums


def _triggers(connection, table: str, writer: _Writer) -> None:
    """The table's triggers, written as mysqldump writes them."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW TRIGGERS WHERE `Table` = %s", (table,))
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            cursor.execute("SHOW CREATE TRIGGER " + _quote(name))
            _trigger, mode, statement = cursor.fetchone()[:3]
            writer.write(("/*!50003 SET @saved_sql_mode = @@sql_mode */;\n"
                          f"/*!50003 SET sql_mode = {connection.escape(mode)} */;\n"
                          f"DELIMITER ;;\n{statement};;\nDELIMITER ;\n"
                          "/*!50003 SET sql_mode = @saved_sql_mode */;\n").encode())


def _insert(writer: _Writer, name: str, values: list[str]) -> None:
    if values:
        writer.write(f"INSERT INTO {_quote(name)} VALUES {','.join(values)};\n"  # noqa: S608
                     .encode("utf-8", "surrogateescape"))


def _literal(connection, value) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + value.hex() if value else "''"
    return connection.escape(value)


def snapshot(config: dict, area: Path, label: str, previous: dict | None = None,
             use_mysqldump: bool | None = None,
             previous_area: Path | None = None) -> tuple[dict, dict]:
    """Dump the site's tables into ``area/label/db``; (manifest, figures). Tables unchanged
    since ``previous`` are not dumped again: their dumps are reused, hard-linked in from
    ``previous_area`` when that snapshot belongs to another run (dump files are never
    rewritten, so sharing them is safe)."""
    if use_mysqldump is None:
        if shutil.which("mysqldump") is not None:
            try:
                return snapshot(config, area, label, previous, True, previous_area)
            except DatabaseSnapshotError:
                pass  # e.g. a client that cannot log in the way PyMySQL does: PyMySQL then
        use_mysqldump = False
    folder = area / label / "db"
    folder.mkdir(parents=True, exist_ok=True)
    previous = previous or {"tables": {}}
    connection = connect(config)
    try:
        names = site_tables(connection, config["prefix"])
        before = checksums(connection, names)
        made = structures(connection, names)
        tables = {}
        todo = []
        for name in names:
            earlier = previous["tables"].get(name)
            if (earlier and earlier["checksum"] is not None
                    and earlier["checksum"] == before[name] and earlier["create"] == made[name]):
                kept = _reuse(earlier, area, label, previous_area)
                if kept is not None:
                    tables[name] = kept
                    continue
            todo.append(name)
        header = previous.get("header_sql", HEADER.decode())
        dumped = list(todo)
        for _round in range(3):
            if not todo:
                break
            writer = _Writer(folder)
            if use_mysqldump:
                header = _mysqldump(config, todo, folder, writer).decode("utf-8", "replace")
                after = checksums(connection, todo)
                settled = {n for n in todo if after[n] == before[n]}
            else:
                after = _pymysql_dump(connection, todo, writer)
                settled = set(todo)
            for name in todo:
                if name not in writer.done:
                    raise DatabaseSnapshotError(f"the dump has no table {name}")
                sha, size = writer.done[name]
                tables[name] = {"create": made[name], "checksum": after[name]
                                if name in settled else None, "sha256": sha, "bytes": size,
                                "blob": f"{label}/db/{_file_name(name)}.sql"}
            before = {n: after[n] for n in todo}
            todo = [n for n in todo if n not in settled]
    except pymysql.MySQLError as error:
        raise DatabaseSnapshotError(f"database snapshot failed: {error.args[-1]}") from error
    finally:
        connection.close()
    manifest = {"header_sql": header, "tables": tables}
    write_json(area / label / "db.json", manifest)
    figures = {"tables": len(tables), "dumped": len(dumped),
               "dump_bytes": sum(tables[n]["bytes"] for n in dumped)}
    return manifest, figures


def _reuse(entry: dict, area: Path, label: str, previous_area: Path | None) -> dict | None:
    """An unchanged table's entry, its dump kept; from another run's snapshot the dump is
    linked in (and checked). None when that dump cannot be had."""
    if previous_area is None or Path(previous_area) == Path(area):
        return entry
    source = Path(previous_area) / entry["blob"]
    target = area / label / "db" / source.name
    try:
        if sha256_of(source) != entry["sha256"]:
            return None
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    except OSError:
        return None
    return {**entry, "blob": f"{label}/db/{source.name}"}


def load(area: Path, label: str) -> dict:
    try:
        return json.loads((area / label / "db.json").read_text())
    except (OSError, ValueError) as error:
        raise DatabaseSnapshotError(f"the snapshot {label} has no readable table list") from error


def statements(lines):
    """The SQL statements of a dump, one at a time (mysqldump's layout: a statement ends
    with a line ending in the delimiter; ``DELIMITER`` lines change it)."""
    delimiter = b";"
    pending: list[bytes] = []
    for raw in lines:
        line = raw.rstrip(b"\r\n")
        if not pending:
            stripped = line.strip()
            if not stripped or stripped.startswith(b"--"):
                continue
            if stripped.upper().startswith(b"DELIMITER "):
                delimiter = stripped.split(None, 1)[1]
                continue
        pending.append(line)
        if line.rstrip().endswith(delimiter):
            statement = b"\n".join(pending).rstrip()
            pending = []
            yield statement[: len(statement) - len(delimiter)]
    if pending:
        yield b"\n".join(pending)


def _execute(cursor, lines) -> None:
    for statement in statements(lines):
        if statement.strip():
            cursor.execute(statement)


def restore(config: dict, area: Path, manifest: dict) -> dict:
    """Bring the site's tables back to ``manifest``: {"reloaded", "dropped", "problems"}."""
    wanted = manifest["tables"]
    problems: list[str] = []
    connection = connect(config)
    try:
        names = site_tables(connection, config["prefix"])
        present = [n for n in names if n in wanted]
        now_sums = checksums(connection, present)
        now_made = structures(connection, present)
        dropped = [n for n in names if n not in wanted]
        reload = [n for n in sorted(wanted) if n not in now_sums or wanted[n]["checksum"] is None
                  or now_sums[n] != wanted[n]["checksum"] or now_made[n] != wanted[n]["create"]]
        with connection.cursor() as cursor:
            _execute(cursor, manifest["header_sql"].encode().splitlines())
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for name in dropped:
                cursor.execute("DROP TABLE IF EXISTS " + _quote(name))
            skipped = set()
            for name in reload:
                blob = area / wanted[name]["blob"]
                try:
                    if sha256_of(blob) != wanted[name]["sha256"]:
                        problems.append(f"the dump of {name} is damaged; table left as it is")
                        skipped.add(name)
                        continue
                except OSError:
                    problems.append(f"the dump of {name} is missing; table left as it is")
                    skipped.add(name)
                    continue
                with open(blob, "rb") as handle:
                    _execute(cursor, handle)
        reload = [n for n in reload if n not in skipped]
        loaded = checksums(connection, reload)
        for name in reload:
            expected = wanted[name]["checksum"]
            if expected is not None and loaded[name] != expected:
                problems.append(f"table {name} does not match its snapshot after the reload")
    except pymysql.MySQLError as error:
        raise DatabaseSnapshotError(f"database restore failed: {error.args[-1]}") from error
    finally:
        with contextlib.suppress(pymysql.MySQLError):
            connection.close()
    return {"reloaded": reload, "dropped": dropped, "problems": problems}

