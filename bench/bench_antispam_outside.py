#!/usr/bin/env python
"""Accuracy from outside, through the Akismet endpoints, on a labelled collection you supply.

    .venv/bin/python bench/bench_antispam_outside.py --data FILE [--feedback-share 0.3]
        [--site-lang es|en] [--seed N]

FILE stays out of the repository (a public labelled collection of comments, downloaded by
whoever runs this). Accepted shapes: CSV with a text column (CONTENT, content, text,
comment or message) and a label column (CLASS, class, label, spam: 1/0, spam/ham,
true/false), or JSONL with `content` and `label` (spam/ham) like the project's own sets.

1. A fresh desk with one plan site and its key, served over HTTP (bench_antispam_http).
2. The items are shuffled (seed); the first share goes to `submit-spam` / `submit-ham`
   as the site's feedback, one call each, in order.
3. Every other item goes to `comment-check`; `true` counts as spam.
Figures: precision, recall and F1 on spam over the checked items. Aim (issue 15): F1 on
spam of at least 0.90 (exit status 1 below it).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import random
import sys
import urllib.parse
from pathlib import Path

from bench_antispam_http import served

TEXT_COLUMNS = ("CONTENT", "content", "text", "comment", "message", "body")
LABEL_COLUMNS = ("CLASS", "class", "label", "spam", "is_spam")
AUTHOR_COLUMNS = ("AUTHOR", "author", "name")
SPAM_LABELS = {"1", "spam", "true", "yes"}


def read_items(path: Path) -> list[tuple[dict, bool]]:
    """(Akismet fields, is spam) for each labelled row of a CSV or JSONL file."""
    items = []
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(({"comment_content": row.get("content", ""),
                               "comment_author": row.get("author", ""),
                               "comment_author_email": row.get("email", ""),
                               "comment_author_url": row.get("url", ""),
                               "comment_type": row.get("type", "comment")},
                              str(row["label"]).lower() in SPAM_LABELS))
        return items
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        names = reader.fieldnames or []
        text = next((c for c in TEXT_COLUMNS if c in names), None)
        label = next((c for c in LABEL_COLUMNS if c in names), None)
        author = next((c for c in AUTHOR_COLUMNS if c in names), None)
        if text is None or label is None:
            raise SystemExit(f"{path}: no text column ({TEXT_COLUMNS}) or label column "
                             f"({LABEL_COLUMNS}) among {names}")
        for row in reader:
            items.append(({"comment_content": row[text],
                           "comment_author": row.get(author, "") if author else "",
                           "comment_type": "comment"},
                          str(row[label]).strip().lower() in SPAM_LABELS))
    return items


def call(connection: http.client.HTTPConnection, endpoint: str, fields: dict) -> bytes:
    body = urllib.parse.urlencode(fields).encode()
    connection.request("POST", f"/akismet/1.1/{endpoint}", body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    return response.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--feedback-share", type=float, default=0.3)
    parser.add_argument("--site-lang", default="en")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    items = read_items(args.data)
    random.Random(args.seed).shuffle(items)
    split = int(len(items) * args.feedback_share)
    tp = fp = fn = 0
    with served(workers=1) as (port, key, _stored):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        base = {"api_key": key, "blog": "https://bench.example/", "blog_lang": args.site_lang}
        for number, (fields, spam) in enumerate(items):
            fields = {**base, **fields, "user_ip": f"198.51.{number % 200}.{number % 250 + 1}"}
            if number < split:
                answer = call(connection, "submit-spam" if spam else "submit-ham", fields)
                if not answer.startswith(b"Thanks"):
                    raise SystemExit(f"feedback refused: {answer[:200]!r}")
                continue
            answer = call(connection, "comment-check", fields)
            if answer not in (b"true", b"false"):
                raise SystemExit(f"comment-check answered {answer[:200]!r}")
            predicted = answer == b"true"
            tp += predicted and spam
            fp += predicted and not spam
            fn += (not predicted) and spam
        connection.close()
    checked = len(items) - split
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    print(f"{args.data.name}: {split} items as feedback, {checked} checked")
    print(f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}  (FP {fp}, FN {fn})")
    print(("PASS" if f1 >= 0.90 else "FAIL") + ": F1 on spam of at least 0.90")
    return 0 if f1 >= 0.90 else 1


if __name__ == "__main__":
    sys.exit(main())
