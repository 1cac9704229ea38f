"""Building the global model from the project's labelled corpus (`xuala antispam train`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from xuala.antispam.filter import MODEL_PATH, Item, Model, train

CORPUS_PATH = Path(__file__).resolve().parent / "corpus" / "train.jsonl"


@dataclass(frozen=True)
class Labelled:
    item: Item
    spam: bool
    lang: str
    family: str


def item_from_record(record: dict) -> Item:
    return Item(content=record.get("content", ""), author=record.get("author", ""),
                email=record.get("email", ""), url=record.get("url", ""),
                type=record.get("type", "comment"))


def read_labelled(path: Path) -> list[Labelled]:
    """A JSONL file of the corpus's shape (content, author, email, url, type, lang, label)."""
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if record.get("label") not in ("spam", "ham"):
                raise ValueError(f"{path}:{number}: label must be spam or ham")
            rows.append(Labelled(item_from_record(record), record["label"] == "spam",
                                 record.get("lang", "es"), record.get("family", "")))
    return rows


def build_global_model(*, corpus: Path = CORPUS_PATH, out: Path = MODEL_PATH,
                       extra: list[Labelled] = ()) -> Model:
    """Trains on the corpus (plus reviewed feedback, when given) and writes the model file."""
    rows = read_labelled(corpus) + list(extra)
    model = train([row.item for row in rows], [row.spam for row in rows],
                  meta={"corpus": corpus.name, "items": len(rows)})
    model.save(out)
    return model
