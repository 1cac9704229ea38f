"""`xuala policy check` and `xuala policy show`, run as an operator runs them."""

import json
import subprocess
import sys

import pytest

from xuala.policy.loader import default_policy_text


def xuala(*args, env_extra=None):
    import os

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "xuala", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.real_clock
def test_it_checks_the_default_policy_and_prints_a_summary():
    result = xuala("policy", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK (default) default_policy.toml")
    assert "standard 24h/72h (working_days)" in result.stdout
    assert "priority 24h/48h (working_days)" in result.stdout
    assert "emergency 4h/4h (calendar)" in result.stdout
    assert "129.6 min allowed" in result.stdout


@pytest.mark.real_clock
def test_it_exits_non_zero_naming_every_error_with_its_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(default_policy_text()
                   .replace('due = "72h"', 'due = "seventy-two"')
                   .replace('tax_rate = "21"', 'tax_rate = "-4"'))
    result = xuala("policy", "check", str(bad))
    assert result.returncode == 1
    lines = bad.read_text().splitlines()
    due_line = lines.index('due = "seventy-two"') + 1
    tax_line = lines.index('tax_rate = "-4"') + 1
    assert f"line {due_line}: targets.standard.due" in result.stderr
    assert f"line {tax_line}: quotes.tax_rate" in result.stderr
    assert "2 problem(s)" in result.stderr


@pytest.mark.real_clock
def test_it_shows_the_active_policy_as_json_and_honours_xuala_policy(tmp_path):
    custom = tmp_path / "custom.toml"
    custom.write_text(default_policy_text().replace('due = "72h"', 'due = "96h"'))
    result = xuala("policy", "show", env_extra={"XUALA_POLICY": str(custom)})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["targets"]["standard"]["due"] == "96h"
    assert shown["channels"]["support_address"] == "asistencia@modo3.net"
    assert shown["hours"]["monday"] == ["09:00-20:00"]


@pytest.mark.django_db
def test_it_records_a_new_version_when_the_policy_file_changes(tmp_path, settings):
    from xuala.policy.models import PolicyVersion
    from xuala.policy.services import policy_version_record

    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text())
    settings.XUALA_POLICY = str(path)
    first = policy_version_record()
    assert policy_version_record().pk == first.pk
    text = default_policy_text().replace('due = "72h"', 'due = "96h"')
    path.write_text(text)
    import os

    os.utime(path, ns=(1, 10**18))  # a later mtime, whatever the file system's resolution
    second = policy_version_record()
    assert second.pk != first.pk
    assert second.source == text
    assert PolicyVersion.objects.count() == 2
