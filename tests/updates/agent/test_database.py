"""Snapshots of a site's tables (mysqldump split per table, or PyMySQL) and the way back:
altered and created tables, changed rows, triggers, awkward values; other sites' tables in
the same database are never touched."""

from __future__ import annotations

import subprocess
import uuid

import pymysql
import pytest

from xuala.updates.agent import database

SETUP = [
    "CREATE TABLE wp_options (option_id INT AUTO_INCREMENT PRIMARY KEY, "
    "option_name VARCHAR(191) UNIQUE, option_value LONGTEXT) ENGINE=InnoDB",
    "CREATE TABLE wp_orders (id INT PRIMARY KEY, total DECIMAL(8,2), paid TIMESTAMP NULL, "
    "data BLOB, note TEXT) ENGINE=InnoDB",
    "CREATE TABLE wp_audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50))",
    "CREATE TRIGGER wp_orders_audit AFTER INSERT ON wp_orders FOR EACH ROW "
    "INSERT INTO wp_audit (what) VALUES (CONCAT('order ', NEW.id))",
    "CREATE TABLE other_options (id INT PRIMARY KEY, v TEXT)",
    "INSERT INTO wp_options (option_name, option_value) VALUES ('siteurl', 'http://x'), "
    "('shop_db', '1.0'), ('quote''s', 'line\\nbreak \\\\ back \U0001f600')",
    "INSERT INTO wp_orders VALUES (1, 10.50, '2026-03-29 01:30:00', X'00FF0A27', NULL), "
    "(2, 20.00, NULL, '', 'semi;colon\\n-- not a comment')",
    "INSERT INTO other_options VALUES (1, 'another site')",
]


@pytest.fixture
def db():
    name = f"xu_dbsnap_{uuid.uuid4().hex[:10]}"
    server = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="",
                             autocommit=True)
    with server.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"USE {name}")
        for statement in SETUP:
            cursor.execute(statement)
    config = {"DB_NAME": name, "DB_USER": "root", "DB_PASSWORD": "",
              "DB_HOST": "127.0.0.1:3306", "prefix": "wp_"}
    try:
        yield config, server
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        server.close()


def _dump(config, *tables) -> bytes:
    return subprocess.run(["mysqldump", "-h127.0.0.1", "-uroot", "--skip-dump-date",
                           "--skip-comments", config["DB_NAME"], *tables],
                          check=True, capture_output=True).stdout


def _value(server, query: str):
    with server.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0]


def _break(server) -> None:
    """What a failed plugin upgrade does to the database."""
    with server.cursor() as cursor:
        cursor.execute("ALTER TABLE wp_orders ADD COLUMN currency CHAR(3)")
        cursor.execute("UPDATE wp_orders SET total = total * 2")
        cursor.execute("INSERT INTO wp_orders (id, total) VALUES (3, 1)")
        cursor.execute("UPDATE wp_options SET option_value = '1.2' WHERE option_name='shop_db'")
        cursor.execute("CREATE TABLE wp_shop_log (id INT PRIMARY KEY)")
        cursor.execute("DROP TABLE wp_audit")
        cursor.execute("UPDATE other_options SET v = 'changed by the other site'")


@pytest.mark.real_clock
@pytest.mark.parametrize("use_mysqldump", [True, False], ids=["mysqldump", "pymysql"])
def test_a_restore_brings_the_site_tables_back_exactly(db, tmp_path, use_mysqldump):
    config, server = db
    ours = ("wp_audit", "wp_options", "wp_orders")
    before = _dump(config, *ours)
    manifest, figures = database.snapshot(config, tmp_path, "base",
                                          use_mysqldump=use_mysqldump)
    assert sorted(manifest["tables"]) == list(ours)
    assert figures["tables"] == 3 and figures["dumped"] == 3
    assert all(t["checksum"] is not None for t in manifest["tables"].values())
    _break(server)

    report = database.restore(config, tmp_path, manifest)

    assert report["problems"] == []
    assert report["dropped"] == ["wp_shop_log"]
    assert sorted(report["reloaded"]) == ["wp_audit", "wp_options", "wp_orders"]
    assert _dump(config, *ours) == before
    assert b"changed by the other site" in _dump(config, "other_options")
    again = database.restore(config, tmp_path, manifest)
    assert again == {"reloaded": [], "dropped": [], "problems": []}
    with server.cursor() as cursor:  # the trigger came back with its table
        cursor.execute("INSERT INTO wp_orders (id, total) VALUES (9, 1)")
    assert _value(server, "SELECT what FROM wp_audit ORDER BY id DESC LIMIT 1") == "order 9"


@pytest.mark.real_clock
def test_an_incremental_snapshot_dumps_only_the_tables_that_changed(db, tmp_path):
    config, server = db
    base, _ = database.snapshot(config, tmp_path, "base")
    with server.cursor() as cursor:
        cursor.execute("UPDATE wp_options SET option_value = '1.1' WHERE option_name='shop_db'")

    second, figures = database.snapshot(config, tmp_path, "c001", previous=base)

    assert figures["dumped"] == 1
    assert second["tables"]["wp_options"]["blob"].startswith("c001/")
    assert second["tables"]["wp_orders"] == base["tables"]["wp_orders"]
    _break(server)
    database.restore(config, tmp_path, second)
    assert _value(server, "SELECT option_value FROM wp_options WHERE option_name='shop_db'"
                  ) == "1.1"


@pytest.mark.real_clock
def test_a_damaged_dump_is_reported_and_its_table_left_alone(db, tmp_path):
    config, server = db
    manifest, _ = database.snapshot(config, tmp_path, "base")
    blob = tmp_path / manifest["tables"]["wp_orders"]["blob"]
    blob.write_bytes(blob.read_bytes().replace(b"10.50", b"99.99"))
    _break(server)

    report = database.restore(config, tmp_path, manifest)

    assert report["problems"] == ["the dump of wp_orders is damaged; table left as it is"]
    assert "wp_orders" not in report["reloaded"] and "wp_options" in report["reloaded"]
    # As the failed upgrade left it.
    assert str(_value(server, "SELECT total FROM wp_orders WHERE id = 1")) == "21.00"


def test_statements_follow_delimiters_and_skip_comments():
    dump = [b"-- a comment\n", b"/*!40101 SET NAMES utf8mb4 */;\n", b"\n",
            b"CREATE TABLE t (\n", b"  a VARCHAR(3) DEFAULT ';',\n", b"  b INT\n", b");\n",
            b"DELIMITER ;;\n", b"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW\n",
            b"BEGIN SET NEW.b = 1; END */;;\n", b"DELIMITER ;\n", b"INSERT INTO t VALUES (';');\n"]
    assert list(database.statements(dump)) == [
        b"/*!40101 SET NAMES utf8mb4 */", b"CREATE TABLE t (\n  a VARCHAR(3) DEFAULT ';',\n"
        b"  b INT\n)", b"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW\nBEGIN SET NEW.b = 1; "
        b"END */", b"INSERT INTO t VALUES (';')"]
