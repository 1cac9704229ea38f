"""`xuala sentry check URL`: one check printed as JSON; exit 0 ok, 1 failed, 2 bad arguments.

One test runs the real `python -m xuala` in subprocesses (a Django start-up costs about a
second of CPU each); the others call the command's `run_from_argv`, the same path the command
line takes (argument parsing, output, `sys.exit` with the return code), in this process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sentry.farm import KEYWORD
from xuala.sentry.management.commands.sentry import Command

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"ok", "error_class", "status", "timings", "certificate", "redirects", "error", "size",
        "keyword_found", "headers", "body_head", "url", "final_url", "started_at"}


@pytest.mark.real_clock
def test_it_runs_as_the_xuala_command_with_exit_codes_0_1_and_2(farm):
    """The real entry point in a subprocess (Django's start-up included), once per exit code."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.sentry.cli_settings"}
    argvs = {
        0: [farm.url("ok", https=True), "--keyword", KEYWORD, "--resolve",
            "*.farm.test:127.0.0.1", "--insecure-ca", str(farm.ca_file)],
        1: [farm.url("error500"), "--resolve", "*.farm.test:127.0.0.1"],
        2: ["ftp://ok.farm.test/"],
    }
    processes = {code: subprocess.Popen([sys.executable, "-m", "xuala", "sentry", "check", *argv],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
                 for code, argv in argvs.items()}
    runs = {code: (p.communicate(timeout=60), p.returncode) for code, p in processes.items()}
    (out, err), code = runs[0]
    assert code == 0, err
    assert json.loads(out)["ok"] is True and err == ""
    (out, err), code = runs[1]
    assert code == 1 and json.loads(out)["error_class"] == "http_status"
    assert err == "CommandError: check failed (http_status): HTTP 500 Internal Server Error\n"
    (out, err), code = runs[2]
    assert code == 2 and out == ""
    assert err == ("CommandError: only http and https URLs can be checked, "
                   "not 'ftp://ok.farm.test/'\n")


def sentry(capsys, *argv):
    """Run `xuala sentry ARGV...` in this process as the command line does; (code, out, err)."""
    capsys.readouterr()
    try:
        Command().run_from_argv(["xuala", "sentry", *argv])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


RESOLVE = ("--resolve", "*.farm.test:127.0.0.1")


@pytest.mark.real_clock
def test_it_prints_a_passing_check_as_one_json_object_and_exits_0(farm, capsys):
    code, out, err = sentry(capsys, "check", farm.url("ok", https=True), "--keyword", KEYWORD,
                            *RESOLVE, "--insecure-ca", str(farm.ca_file))
    assert code == 0, err
    result = json.loads(out)
    assert set(result) >= KEYS
    assert result["ok"] is True and result["error_class"] is None and result["status"] == 200
    assert set(result["timings"]) == {"dns", "connect", "tls", "ttfb", "total"}
    assert all(isinstance(v, float) for v in result["timings"].values())
    assert result["certificate"]["issuer"] == "CN=Xuala Sentry Test CA,O=Xuala Sentry Tests"
    assert result["keyword_found"] is True and result["redirects"] == []
    assert err == ""


def test_it_does_not_trust_a_test_ca_unless_told(farm, capsys):
    code, out, _ = sentry(capsys, "check", farm.url("ok", https=True), *RESOLVE)
    assert code == 1 and json.loads(out)["error_class"] == "tls"


@pytest.mark.parametrize("argv, error_class", [
    (("error500",), "http_status"),
    (("ok", "--keyword", KEYWORD, "--absent"), "keyword"),
    (("slow", "--max-ms", "100"), "too_slow"),
    (("hang", "--timeout", "0.5"), "timeout"),
    (("expired", "--https"), "certificate"),
    (("chain", "--max-redirects", "2"), "redirects"),
])
def test_it_exits_1_with_the_failure_class_when_the_check_fails(farm, capsys, argv, error_class):
    name, *options = argv
    https = "--https" in options
    options = [o for o in options if o != "--https"]
    code, out, err = sentry(capsys, "check", farm.url(name, https=https), *options, *RESOLVE,
                            "--insecure-ca", str(farm.ca_file))
    assert code == 1, err
    result = json.loads(out)
    assert set(result) >= KEYS
    assert result["ok"] is False and result["error_class"] == error_class
    assert err.splitlines() == [f"CommandError: check failed ({error_class}): {result['error']}"]


def test_it_classifies_a_name_that_does_not_resolve(capsys):
    code, out, _ = sentry(capsys, "check", "http://tienda.invalid/")
    assert code == 1 and json.loads(out)["error_class"] == "dns"


def test_it_honours_the_timeout_option(farm, capsys):
    _, out, _ = sentry(capsys, "check", farm.url("hang"), "--timeout", "0.3", *RESOLVE)
    result = json.loads(out)
    assert result["error"] == ("timeout: total time limit of 0.3 s reached during the wait "
                               "for the response")
    assert result["timings"]["total"] < 800


@pytest.mark.parametrize("argv, message", [
    (("ftp://ok.farm.test/",), "only http and https URLs can be checked, not "
                                 "'ftp://ok.farm.test/'"),
    (("http://ok.farm.test/", "--max-ms", "-5"), "--max-ms must not be negative"),
    (("http://ok.farm.test/", "--timeout", "-1"), "--timeout must not be negative"),
    (("https://ok.farm.test/", "--insecure-ca", "/nonexistent/ca.pem"),
     "--insecure-ca /nonexistent/ca.pem: "),
    (("http://ok.farm.test/", "--absent"), "--absent needs --keyword"),
    (("http://ok.farm.test/", "--resolve", "ok.farm.test"), "--resolve wants HOST:ADDRESS"),
])
def test_it_exits_2_with_a_one_line_reason_on_bad_arguments(capsys, argv, message):
    code, out, err = sentry(capsys, "check", *argv)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"CommandError: {message}")


def test_it_exits_2_when_a_number_is_not_a_number(capsys):
    code, out, err = sentry(capsys, "check", "http://ok.farm.test/", "--max-ms", "fast")
    assert code == 2 and out == ""
    assert err.splitlines()[-1].endswith("argument --max-ms: invalid int value: 'fast'")
