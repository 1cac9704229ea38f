"""Every rule with its hit and its near-miss, in yara-x and in Debian's yara."""

import re
import subprocess
from pathlib import Path

import pytest

from xuala.wsa import signatures

SAMPLES = Path(__file__).parent / "samples"
RULE_NAMES = sorted(
    name for path in signatures.RULES_DIR.glob("*.yar")
    for name in re.findall(r"^rule (\w+)", path.read_text(), re.M))


def _sample(rule: str, stem: str) -> Path:
    [path] = (SAMPLES / rule).glob(f"{stem}.*")
    return path


HIT_SAMPLES = sorted((rule, path.name) for rule in RULE_NAMES
                     for path in (SAMPLES / rule).glob("hit*"))


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_has_a_hit_and_a_near_miss_sample(rule):
    assert _sample(rule, "hit").exists() and _sample(rule, "near").exists()


@pytest.mark.parametrize(("rule", "name"), HIT_SAMPLES)
def test_rule_flags_its_hit_samples(rule, name):
    hits = signatures.load().scan((SAMPLES / rule / name).read_bytes())
    assert rule in {h.rule for h in hits}


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_rule_near_miss_sample_raises_nothing(rule):
    assert signatures.load().scan(_sample(rule, "near").read_bytes()) == []


def test_every_rule_states_a_known_kind_and_severity():
    text = "\n".join(p.read_text() for p in signatures.RULES_DIR.glob("*.yar"))
    kinds = re.findall(r'kind = "(\w+)"', text)
    severities = re.findall(r'severity = "(\w+)"', text)
    assert len(kinds) == len(severities) == len(RULE_NAMES)
    assert set(kinds) <= {"malware", "suspicious"}
    assert set(severities) <= {"critical", "high", "medium", "low"}


def test_hit_reports_the_offset_and_an_excerpt_of_the_match():
    data = b"<?php\n// x\n@eval(base64_decode($p));\n"
    [hit] = [h for h in signatures.load().scan(data) if h.rule == "php_eval_decoded"]
    assert hit.offset == data.index(b"eval")
    assert hit.evidence.startswith("eval(base64_decode(")


@pytest.mark.real_clock
def test_rules_compile_and_agree_in_debians_yara(tmp_path):
    combined = tmp_path / "all.yar"
    combined.write_text("\n".join(p.read_text() for p in sorted(
        signatures.RULES_DIR.glob("*.yar"))))
    result = subprocess.run(["/usr/bin/yara", "-r", "-w", str(combined), str(SAMPLES)],
                            capture_output=True, text=True, check=True)
    pairs = {(line.split()[0], Path(line.split()[1]).relative_to(SAMPLES).parts)
             for line in result.stdout.splitlines()}
    for rule, name in HIT_SAMPLES:
        assert (rule, (rule, name)) in pairs
    assert not [p for p in pairs if p[1][1].startswith("near")]


@pytest.mark.real_clock
def test_no_rule_slows_debians_yara_down(tmp_path):
    combined = tmp_path / "all.yar"
    combined.write_text("\n".join(p.read_text() for p in sorted(
        signatures.RULES_DIR.glob("*.yar"))))
    result = subprocess.run(["/usr/bin/yara", str(combined), "/dev/null"],
                            capture_output=True, text=True, check=True)
    assert result.stderr == ""


def test_operator_rule_directory_adds_rules(tmp_path, monkeypatch):
    extra = tmp_path / "rules"
    extra.mkdir()
    (extra / "local.yar").write_text(
        'rule local_marker { meta: kind = "suspicious" severity = "medium" '
        'strings: $a = "XUALA-LOCAL-MARKER" condition: $a }')
    monkeypatch.setenv("XUALA_WSA_RULES", str(extra))
    [hit] = signatures.load().scan(b"a XUALA-LOCAL-MARKER b")
    assert (hit.rule, hit.kind, hit.severity) == ("local_marker", "suspicious", "medium")


def test_a_rule_that_does_not_compile_is_an_error(tmp_path):
    extra = tmp_path / "rules"
    extra.mkdir()
    (extra / "broken.yar").write_text("rule broken { condition: $nothing }")
    with pytest.raises(signatures.RulesError):
        signatures.load([extra])
