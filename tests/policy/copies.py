"""A changed copy of the shipped policy file, made active for one test."""

from __future__ import annotations

from pathlib import Path

from xuala.policy.loader import default_policy_text, parse_policy


def policy_copy(tmp_path: Path, settings, *changes: tuple[str, str]) -> Path:
    """Write the default policy with each (old, new) text replaced and point XUALA_POLICY
    at it. Each ``old`` must occur in the file, so a change that no longer applies fails."""
    text = default_policy_text()
    for old, new in changes:
        assert old in text, f"{old!r} is not in the default policy"
        text = text.replace(old, new, 1)
    return policy_text_active(tmp_path, settings, text)


def policy_text_active(tmp_path: Path, settings, text: str) -> Path:
    """Write ``text`` as the policy file and point XUALA_POLICY at it."""
    parse_policy(text)  # a copy that does not validate fails here, not in the code under test
    path = tmp_path / "policy.toml"
    path.write_text(text, "utf-8")
    settings.XUALA_POLICY = str(path)
    return path
