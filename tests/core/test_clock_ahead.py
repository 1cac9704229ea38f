"""The --clock-ahead option: a test that hard-codes today's date fails today, not next year."""

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from tests.clock_ahead import parse_ahead

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, delta", [
    ("400d", timedelta(days=400)), ("56w", timedelta(weeks=56)),
    (" 9600h ", timedelta(hours=9600)), ("30m", timedelta(minutes=30)),
    ("5s", timedelta(seconds=5))])
def test_it_reads_a_number_and_a_unit(text, delta):
    assert parse_ahead(text) == delta


@pytest.mark.parametrize("text", ["", "400", "d400", "1.5d", "400 days", "-3d"])
def test_it_refuses_anything_else_with_a_usage_error(text):
    with pytest.raises(pytest.UsageError, match="--clock-ahead"):
        parse_ahead(text)


SAMPLE = '''
import subprocess, sys
from datetime import date, timedelta

import pytest

WRITTEN_ON = date.fromisoformat("{today}")


def test_a_date_hard_coded_as_the_future():
    # Passes on the day it is written, fails a year later: the kind of test the option finds.
    assert date.today() < WRITTEN_ON + timedelta(days=300)


def test_an_unmarked_child_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.real_clock
def test_a_marked_child_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
'''


def run_pytest(tmp_path, *args):
    from datetime import date

    (tmp_path / "test_sample.py").write_text(SAMPLE.format(today=date.today().isoformat()))
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        from tests.clock_ahead import (  # noqa: F401
            _no_child_processes_under_a_moved_clock, pytest_addoption,
            pytest_collection_modifyitems, pytest_configure, pytest_report_header,
            pytest_unconfigure)
    """))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:django", "-p", "no:xdist", "--rootdir", str(tmp_path),
                           "-c", "/dev/null", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.mark.real_clock
def test_on_the_real_clock_every_sample_passes(tmp_path):
    done = run_pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


@pytest.mark.real_clock
def test_ahead_the_hard_coded_date_fails_and_the_unmarked_child_is_named(tmp_path):
    done = run_pytest(tmp_path, "--clock-ahead=400d", "-rf")
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "2 failed" in out and "1 deselected" in out, out
    assert "FAILED" in out and "test_a_date_hard_coded_as_the_future" in out
    assert "starts a child process" in out and "test_an_unmarked_child_process" in out
