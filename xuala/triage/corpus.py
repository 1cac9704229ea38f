"""Shared helpers of the corpus generators: writers' styles, typos, accents.

The training generator (``xuala/triage/data/generate_train.py``) and the test generator
(``bench/data/generate_test.py``) have their own templates, word pools and seeds; only
these mechanical transformations are shared.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

_SLOT = re.compile(r"\{([a-z_]+)\}")


def fill(template: str, pools: dict[str, list[str]], rng: random.Random) -> str:
    """Replace every {slot} by a random value of its pool (nested slots allowed)."""
    for _ in range(4):
        if "{" not in template:
            break
        template = _SLOT.sub(lambda m: rng.choice(pools[m[1]]) if m[1] in pools else m[0],
                             template)
    return template


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"


def typos(text: str, rng: random.Random, rate: float) -> str:
    """Drop, double, swap or mistype letters of some words."""
    words = text.split(" ")
    out = []
    for word in words:
        if len(word) > 3 and word.isalpha() and rng.random() < rate:
            i = rng.randrange(1, len(word) - 1)
            kind = rng.randrange(4)
            if kind == 0:
                word = word[:i] + word[i + 1:]
            elif kind == 1:
                word = word[:i] + word[i] + word[i:]
            elif kind == 2:
                word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
            else:
                word = word[:i] + rng.choice(_NEIGHBOURS) + word[i + 1:]
        out.append(word)
    return " ".join(out)


def hurried(text: str) -> str:
    """Lower case, little punctuation, one line."""
    text = re.sub(r"[¿¡]", "", text.lower())
    text = re.sub(r"\s*\n+\s*", " ", text)
    return re.sub(r"[.;:]+(\s|$)", r" \1", text).strip()


def angry(text: str, rng: random.Random) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if sentences:
        k = rng.randrange(len(sentences))
        sentences[k] = sentences[k].upper().rstrip(".") + "!!"
    return " ".join(sentences)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: str | Path) -> list[dict]:
    """The JSON objects of a file, one a line (blank lines skipped); ValueError names the
    first line that is not a JSON object."""
    rows = []
    with Path(path).open(encoding="utf-8") as src:
        for number, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise ValueError(f"line {number}: not a JSON object")
            rows.append(row)
    return rows
