#!/usr/bin/env python
"""Benchmark: the Tuesday updates' snapshots and rollbacks beside `tar` and `mysqldump`, and
sites updated per hour per node.

    python bench/bench_updates.py [--size-mb 1024] [--db-mb N] [--plugins 10] [--no-sites]

1. **Snapshot and restore of a site of --size-mb** (default 1 GB): Debian's WordPress plus
   uploads of random bytes (incompressible, like photos; 60 days old) to the size, ten plugin
   folders, and a database of --db-mb (default a tenth of the site) of posts, post meta and
   options in MariaDB. Figures, all with the tree in the page cache:

   * our snapshot, cold (every file hashed) and warm (the weekly case: hashes of unchanged
     files reused from the last run), and the bytes it stores (hard links store none);
   * our rollback of a typical failed plugin update (its folder swapped, `.maintenance` left,
     one table altered, options changed, a table created), and of everything (uploads and
     all tables gone);
   * by hand: `tar -cf` of the tree and `mysqldump --single-transaction --quick` (snapshot),
     `rm -rf` + `tar -xf` and `mysql < dump` (restore), with their sizes.

   Ratios are the by-hand time over ours (above 1: we are faster).
2. **Sites updated per hour per node**: a real WordPress (php -S, MariaDB, headless
   Chromium) with ten active plugins each going 1.0 -> 1.1, run end to end by the node's
   runner (checks and screenshots before, snapshot, each plugin checked and compared, checks
   after); 3600 / seconds per site.

Everything is built in a temporary folder and database, deleted at the end (--keep keeps
the folder). The load average is printed, as the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pymysql  # noqa: E402

from tests.updates.agent.wordpress import (  # noqa: E402
    Template,
    mysql,
    new_site,
    plugin_zip,
    publish,
    wp_config,
)
from xuala.updates.agent import database, files  # noqa: E402
from xuala.updates.agent.run import run_site  # noqa: E402

WORDS = ["receta", "tomate", "horno", "aceite", "sal", "pimienta", "cebolla", "ajo", "arroz",
         "pollo", "pescado", "limón", "azúcar", "harina", "huevo", "leche", "queso", "pan"]
OLD = time.time() - 60 * 86400


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sh(*command: str, **kwargs) -> None:
    subprocess.run(command, check=True, **kwargs)


def build_tree(root: Path, size: int, plugins: int) -> int:
    shutil.copytree("/usr/share/wordpress", root, symlinks=False, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns(".htaccess", "wp-config.php"))
    akismet = root / "wp-content/plugins/akismet"
    for number in range(plugins):
        shutil.copytree(akismet, root / f"wp-content/plugins/bench-{number}")
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    rng = random.Random(7)
    uploads = root / "wp-content/uploads"
    number = 0
    while total < size or number < 20:  # a few uploads even when core alone is larger
        folder = uploads / f"20{20 + number // 2000 % 7}" / f"{number // 200 % 12 + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        big = rng.random() < 0.35
        length = max(4_000, min(size - total, rng.randint(400_000, 4_000_000) if big
                                else rng.randint(4_000, 60_000)))
        path = folder / f"img-{number}.jpg"
        path.write_bytes(os.urandom(length))
        os.utime(path, (OLD, OLD))
        total += length
        number += 1
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (OLD, OLD))
    return total


def build_database(name: str, size: int) -> None:
    connection = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="",
                                 database=name, autocommit=True)
    rng = random.Random(11)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE wp_options (option_id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                       "option_name VARCHAR(191) UNIQUE, option_value LONGTEXT, "
                       "autoload VARCHAR(20)) ENGINE=InnoDB")
        cursor.execute("CREATE TABLE wp_posts (ID BIGINT AUTO_INCREMENT PRIMARY KEY, "
                       "post_title TEXT, post_content LONGTEXT, post_date DATETIME) "
                       "ENGINE=InnoDB")
        cursor.execute("CREATE TABLE wp_postmeta (meta_id BIGINT AUTO_INCREMENT PRIMARY KEY, "
                       "post_id BIGINT, meta_key VARCHAR(255), meta_value LONGTEXT, "
                       "KEY post_id (post_id)) ENGINE=InnoDB")
        for number in range(300):
            cursor.execute("INSERT INTO wp_options (option_name, option_value, autoload) "
                           "VALUES (%s, %s, 'yes')", (f"option_{number}", " ".join(
                               rng.choices(WORDS, k=40))))
        written, post = 0, 0
        while written < size:
            rows, meta = [], []
            for _ in range(200):
                post += 1
                text = " ".join(rng.choices(WORDS, k=rng.randint(100, 800)))
                rows.append((post, f"Receta {post}", text, "2026-01-06 10:00:00"))
                meta += [(post, key, " ".join(rng.choices(WORDS, k=12)))
                         for key in ("_thumbnail_id", "_edit_last", "_wp_page_template")]
                written += len(text) + 200
            cursor.executemany("INSERT INTO wp_posts VALUES (%s, %s, %s, %s)", rows)
            cursor.executemany("INSERT INTO wp_postmeta (post_id, meta_key, meta_value) "
                               "VALUES (%s, %s, %s)", meta)
    connection.close()


def break_site(root: Path, db: str) -> None:
    """What a failed plugin update leaves: its folder swapped, .maintenance, tables changed."""
    plugin = root / "wp-content/plugins/bench-0"
    shutil.move(plugin, root.parent / "old-plugin")
    shutil.copytree(root / "wp-content/plugins/akismet", plugin)
    (plugin / "akismet.php").write_text("<?php fatal(")
    (root / ".maintenance").write_text("<?php $upgrading = 1; ?>")
    mysql("ALTER TABLE wp_postmeta ADD COLUMN bench INT; "
          "UPDATE wp_options SET option_value = 'broken' WHERE option_id < 10; "
          "CREATE TABLE wp_bench_log (id INT PRIMARY KEY)", db)
    shutil.rmtree(root.parent / "old-plugin")


def snapshots(work: Path, size: int, db_size: int, plugins: int) -> dict:
    root = work / "site"
    db = f"xu_bench_{uuid.uuid4().hex[:8]}"
    figures: dict = {}
    mysql(f"CREATE DATABASE {db}")
    try:
        print(f"building a {size >> 20} MB tree and a {db_size >> 20} MB database ...",
              flush=True)
        figures["tree_bytes"] = build_tree(root, size, plugins)
        build_database(db, db_size)
        (root / "wp-config.php").write_text(wp_config(db, "http://127.0.0.1"))
        figures["files"] = sum(1 for p in root.rglob("*") if p.is_file())
        config = {"DB_NAME": db, "DB_USER": "root", "DB_PASSWORD": "",
                  "DB_HOST": "127.0.0.1:3306", "prefix": "wp_"}
        area, area2 = work / "snap", work / "snap-weekly"
        holder: dict = {}

        def ours_cold():
            holder["files"], _ = files.take(root, area, "base")
            holder["db"], _ = database.snapshot(config, area, "base")

        figures["ours_snapshot"] = timed(ours_cold)
        figures["ours_bytes"] = files.stored_bytes(area)
        hints = files.hash_hints(holder["files"])
        figures["ours_weekly"] = timed(lambda: (
            files.take(root, area2, "base", hints=hints),
            database.snapshot(config, area2, "base", previous=holder["db"],
                              previous_area=area)))
        shutil.rmtree(area2)

        tar = work / "site.tar"
        dump = work / "dump.sql"
        figures["tar_create"] = timed(lambda: sh("tar", "-cf", str(tar), "-C", str(root), "."))
        figures["mysqldump"] = timed(lambda: sh(
            "sh", "-c", f"mysqldump -h127.0.0.1 -uroot --single-transaction --quick {db} "
                        f"> {dump}"))
        figures["tar_bytes"], figures["dump_bytes"] = tar.stat().st_size, dump.stat().st_size

        break_site(root, db)
        report = {}

        def ours_typical():
            report["files"] = files.restore(root, area, holder["files"])
            report["db"] = database.restore(config, area, holder["db"])

        figures["ours_rollback"] = timed(ours_typical)
        figures["rollback_detail"] = {"files_restored": report["files"]["restored"],
                                      "files_removed": report["files"]["removed"],
                                      "tables_reloaded": report["db"]["reloaded"],
                                      "tables_dropped": report["db"]["dropped"]}
        assert not report["files"]["unrestorable"] and not report["db"]["problems"]

        shutil.rmtree(root / "wp-content/uploads")
        mysql("DROP TABLE wp_posts, wp_postmeta, wp_options", db)
        figures["ours_full_restore"] = timed(ours_typical)
        assert not report["files"]["unrestorable"] and not report["db"]["problems"]
        assert files.restore(root, area, holder["files"])["restored"] == 0

        def by_hand():
            shutil.rmtree(root)
            root.mkdir()
            sh("tar", "-xf", str(tar), "-C", str(root))

        figures["tar_extract"] = timed(by_hand)
        figures["mysql_load"] = timed(lambda: sh("sh", "-c",
                                                 f"mysql -h127.0.0.1 -uroot {db} < {dump}"))
    finally:
        mysql(f"DROP DATABASE IF EXISTS {db}")
    return figures


PLUGIN = """
add_action('plugins_loaded', function () {
    if (get_option('bench_%(n)s') !== '%(v)s') { update_option('bench_%(n)s', '%(v)s'); }
});
add_action('wp_head', function () { echo '<!-- bench %(n)s %(v)s -->'; });
"""


def sites_per_hour(work: Path, plugins: int) -> dict:
    os.environ["XUALA_UPDATES_HOME"] = str(work / "updates-home")
    template = Template(work / "template")
    site = new_site(template, work / "wp")
    os.environ["XUALA_UPDATES_ERROR_LOGS"] = str(site.error_log)
    try:
        source = work / "source"
        for number in range(plugins):
            slug = f"bench-plugin-{number}"
            site.install_plugin(plugin_zip(slug, "1.0", PLUGIN % {"n": number, "v": "1.0"}),
                                activate=f"{slug}/{slug}.php")
            publish(source, "plugin", slug, "1.1",
                    plugin_zip(slug, "1.1", PLUGIN % {"n": number, "v": "1.1"}))
        site.warm()
        started = time.perf_counter()
        result = run_site({"run": 1, "url": site.url, "root": str(site.root),
                           "source": str(source)}, lambda _p: None)
        seconds = time.perf_counter() - started
    finally:
        site.close()
    updated = sum(c["status"] == "updated" for c in result["components"])
    assert updated == plugins, json.dumps(result["log"])
    return {"seconds": seconds, "updated": updated, "snapshot": result["snapshot"]["seconds"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--db-mb", type=int, default=None)
    parser.add_argument("--plugins", type=int, default=10)
    parser.add_argument("--no-sites", action="store_true", help="skip sites per hour")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if args.plugins < 1:
        parser.error("--plugins: at least 1")
    size = args.size_mb << 20
    db_size = (args.db_mb << 20) if args.db_mb is not None else size // 10
    work = Path(tempfile.mkdtemp(prefix="xuala-bench-updates-"))
    print(f"load average at the start: {load()} ({os.cpu_count()} cores)", flush=True)
    try:
        f = snapshots(work, size, db_size, args.plugins)
        mb = f["tree_bytes"] / 1e6
        print(f"\nsite: {f['files']:,} files, {mb:,.0f} MB; "
              f"database dump {f['dump_bytes'] / 1e6:,.0f} MB")
        by_hand_snap = f["tar_create"] + f["mysqldump"]
        by_hand_restore = f["tar_extract"] + f["mysql_load"]
        ours_bytes = f["ours_bytes"]
        print(f"{'':34}{'ours':>10}{'by hand':>10}{'ratio':>8}")
        rows = [("snapshot, cold (s)", f["ours_snapshot"], by_hand_snap),
                ("snapshot, weekly (s)", f["ours_weekly"], by_hand_snap),
                ("rollback of a failed update (s)", f["ours_rollback"], by_hand_restore),
                ("restore of everything (s)", f["ours_full_restore"], by_hand_restore)]
        for label, ours, theirs in rows:
            print(f"{label:34}{ours:10.2f}{theirs:10.2f}{theirs / ours:8.1f}x")
        theirs_bytes = f["tar_bytes"] + f["dump_bytes"]
        print(f"{'snapshot size (MB)':34}{ours_bytes / 1e6:10.1f}{theirs_bytes / 1e6:10.1f}"
              f"{theirs_bytes / max(ours_bytes, 1):8.1f}x")
        print(f"by hand: tar -cf {f['tar_create']:.2f} s, mysqldump {f['mysqldump']:.2f} s, "
              f"tar -xf {f['tar_extract']:.2f} s, mysql < dump {f['mysql_load']:.2f} s")
        print(f"rollback touched: {json.dumps(f['rollback_detail'])}")
        if not args.no_sites:
            s = sites_per_hour(work, args.plugins)
            print(f"\nsites updated per hour per node ({s['updated']} plugins each): "
                  f"{3600 / s['seconds']:.0f} ({s['seconds']:.1f} s a site, of which "
                  f"snapshot {s['snapshot']:.2f} s)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
