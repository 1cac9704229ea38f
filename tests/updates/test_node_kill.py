"""The node killed in the middle of a component: a real process running the ``updates.run``
job (``xuala.updates.node_jobs.run``, as the node agent calls it) is killed with SIGKILL while
the new version's upgrade routine is half-way (files swapped, its table altered); running the
job again rolls the component back and tries it once more, or, stopped twice, leaves it
rolled back byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.updates.agent.sites import component, params
from tests.updates.agent.wordpress import plugin_zip, publish, tree_digest

pytestmark = pytest.mark.real_clock

REPO = Path(__file__).resolve().parents[2]
SLOW_10 = """
register_activation_hook(__FILE__, function () {
    global $wpdb;
    $wpdb->query("CREATE TABLE {$wpdb->prefix}xuala_slow (id INT PRIMARY KEY) ENGINE=InnoDB");
    $wpdb->query("INSERT INTO {$wpdb->prefix}xuala_slow VALUES (1), (2)");
    update_option('xuala_slow_db', '1.0');
});
"""
SLOW_11 = SLOW_10 + """
add_action('plugins_loaded', function () {
    global $wpdb;
    if (get_option('xuala_slow_db') === '1.0') {
        $wpdb->query("ALTER TABLE {$wpdb->prefix}xuala_slow ADD COLUMN extra INT");
        if (file_exists('%(block)s')) {
            touch('%(reached)s');
            sleep(300);
        }
        update_option('xuala_slow_db', '1.1');
    }
});
"""
CHILD = ("import json, sys\n"
         "from xuala.updates.node_jobs import run\n"
         "result = run(json.loads(sys.argv[1]), lambda p: print(json.dumps(p), flush=True))\n"
         "print('RESULT ' + json.dumps(result), flush=True)\n")


def _start(job: dict) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(job)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kill_when(child: subprocess.Popen, reached: Path) -> None:
    deadline = time.monotonic() + 600
    while not reached.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the upgrade routine was never reached"
        time.sleep(0.2)
    os.killpg(child.pid, signal.SIGKILL)  # the node and its php child, as a crash would
    child.wait(30)
    reached.unlink()


def _finish(job: dict) -> dict:
    child = _start(job)
    out, err = child.communicate(timeout=900)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert child.returncode == 0 and lines, err[-2000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture
def slow(wordpress, tmp_path):
    site = wordpress
    site.install_plugin(plugin_zip("xuala-slow", "1.0", SLOW_10),
                        activate="xuala-slow/xuala-slow.php")
    site.warm()
    source = tmp_path / "source"
    block, reached = tmp_path / "block", tmp_path / "reached"
    publish(source, "plugin", "xuala-slow", "1.1", plugin_zip(
        "xuala-slow", "1.1", SLOW_11 % {"block": block, "reached": reached}))
    block.touch()
    return site, params(site, source, run=41, pages=["/"]), block, reached


def _columns(site) -> list[str]:
    return [line.split("\t")[0] for line in site.sql("SHOW COLUMNS FROM wp_xuala_slow")
            .splitlines()]


def test_a_node_killed_mid_update_resumes_with_the_component_rolled_back_and_tried_again(slow):
    site, job, block, reached = slow
    child = _start(job)
    _kill_when(child, reached)
    # Killed half-way: the new files are in place and the table is altered, unfinished.
    assert "Version: 1.1" in (site.root / "wp-content/plugins/xuala-slow/xuala-slow.php"
                              ).read_text()
    assert _columns(site) == ["id", "extra"]
    block.unlink()

    result = _finish(job)

    item = component(result, "xuala-slow")
    assert (item["from"], item["to"], item["status"]) == ("1.0", "1.1", "updated")
    assert "plugin xuala-slow: the node stopped while updating it; rolling it back" in result["log"]
    assert "resumed (attempt 2)" in result["log"]
    # Rolled back before the second try, so the upgrade ran once on the old table.
    assert _columns(site) == ["id", "extra"]
    assert site.sql("SELECT option_value FROM wp_options WHERE option_name='xuala_slow_db'"
                    ).strip() == "1.1"
    assert result["ok"] is True


def test_a_node_killed_twice_on_the_same_component_leaves_it_rolled_back_byte_for_byte(slow):
    site, job, _block, reached = slow
    files_before = tree_digest(site.root)
    database_before = site.dump()
    for _ in range(2):
        _kill_when(_start(job), reached)

    result = _finish(job)

    item = component(result, "xuala-slow")
    assert item["status"] == "rolled_back"
    assert item["reason"] == "the node stopped twice while updating it"
    assert tree_digest(site.root) == files_before
    assert site.dump() == database_before
    assert result["ok"] is False
