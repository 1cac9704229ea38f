"""Reads a policy file, validates it and reports every error with its location."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from xuala.policy.schema import Policy

DEFAULT_POLICY_NAME = "default_policy.toml"


@dataclass(frozen=True)
class PolicyProblem:
    location: str  # dotted path into the document ("targets.standard.clock")
    line: int | None  # 1-based line in the file, where it can be found
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.location or '(document)'}: {self.message}"


class PolicyError(ValueError):
    """A policy file that cannot be used; ``problems`` lists every error found."""

    def __init__(self, source_name: str, problems: list[PolicyProblem]):
        self.source_name = source_name
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source_name}: {len(problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: str  # the file's text, stored with each policy version
    name: str  # where it came from

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    @cached_property
    def calendar(self):  # -> BusinessCalendar; imported lazily to keep loading cheap
        from xuala.policy.calendar import BusinessCalendar

        hol = self.policy.holidays
        return BusinessCalendar(
            timezone=self.policy.timezone,
            weekly_hours=self.policy.hours.weekly(),
            holiday_country=hol.country,
            holiday_subdivision=hol.subdivision,
            extra_holidays=hol.extra,
            removed_holidays=hol.removed,
        )


def default_policy_text() -> str:
    return resources.files("xuala.policy").joinpath(DEFAULT_POLICY_NAME).read_text("utf-8")


def parse_policy(text: str, *, name: str = "<policy>") -> LoadedPolicy:
    """Validate policy text; raise PolicyError naming every problem and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of_decode_error(exc)
        raise PolicyError(name, [PolicyProblem("", line, f"not valid TOML: {exc}")]) from None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = [
            PolicyProblem(
                location=".".join(str(part) for part in err["loc"]),
                line=locate(text, err["loc"]),
                message=err["msg"].removeprefix("Value error, "),
            )
            for err in exc.errors()
        ]
        raise PolicyError(name, problems) from None
    return LoadedPolicy(policy=policy, source=text, name=name)


def load_policy(path: str | Path | None = None) -> LoadedPolicy:
    """Load the policy at ``path``, or the shipped default when ``path`` is None."""
    if path is None:
        return parse_policy(default_policy_text(), name=f"(default) {DEFAULT_POLICY_NAME}")
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [PolicyProblem("", None, f"cannot read: {exc}")]) from None
    return parse_policy(text, name=str(path))


def _line_of_decode_error(exc: tomllib.TOMLDecodeError) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno)
    match = re.search(r"line (\d+)", str(exc))
    return int(match[1]) if match else None


def locate(text: str, loc: tuple) -> int | None:
    """Best-effort line number of a validation error's location in TOML text.

    TOML parsers keep no positions, so this walks the text: it finds the table
    header for the leading keys (``[targets.standard]``, the n-th ``[[scope]]``),
    then the first ``key =`` line for the remaining key inside that table.
    """
    lines = text.splitlines()
    keys = [part for part in loc if isinstance(part, str)]
    if not keys:
        return None
    start, end = 0, len(lines)
    # Array of tables: [[scope]] with an index.
    if len(loc) >= 2 and isinstance(loc[1], int):
        headers = [i for i, ln in enumerate(lines) if ln.strip() == f"[[{loc[0]}]]"]
        if loc[1] < len(headers):
            start = headers[loc[1]]
            end = _next_header(lines, start + 1)
            rest = [part for part in loc[2:] if isinstance(part, str)]
            return _find_key(lines, start, end, rest[:1]) or start + 1
    # Longest table header that matches the leading keys.
    for depth in range(len(keys), 0, -1):
        header = "[" + ".".join(keys[:depth]) + "]"
        for i, ln in enumerate(lines):
            if ln.strip() == header:
                start, end = i, _next_header(lines, i + 1)
                return _find_key(lines, start, end, keys[depth : depth + 1]) or i + 1
    # Inline: the key may sit in the parent table ("services.wsa = {...}").
    return _find_key(lines, 0, len(lines), keys[-1:])


def _next_header(lines: list[str], index: int) -> int:
    for i in range(index, len(lines)):
        if lines[i].lstrip().startswith("["):
            return i
    return len(lines)


def _find_key(lines: list[str], start: int, end: int, keys: list[str]) -> int | None:
    if not keys:
        return None
    pattern = re.compile(rf"^\s*{re.escape(keys[0])}\s*=")
    for i in range(start, end):
        if pattern.match(lines[i]):
            return i + 1
    return None
