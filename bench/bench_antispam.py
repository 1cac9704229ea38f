#!/usr/bin/env python
"""Benchmark: the anti-spam filter's accuracy beside SpamAssassin, and its speed over HTTP.

    .venv/bin/python bench/bench_antispam.py [--accuracy-only | --throughput-only]
        [--set FILE] [--limit N] [--sa-bayes] [--spamd-timeout S]
        [--seconds S] [--concurrency C] [--workers W]

Accuracy. The labelled set the project keeps for the benchmark (bench/data/
antispam_bench.jsonl, written apart from the training corpus by
bench/data/make_antispam_bench.py) is judged twice:
1. ours: `xuala.antispam.verdict.verdict` on each item, with the site's language from
   the item's `lang` (no site feedback, no traffic-based rules: the global model and
   the item's own rules only);
2. SpamAssassin: Debian's `spamd` started here on a free loopback port (`-L`: local
   tests only, no network rules; `-x`: no per-user files), each item wrapped as the
   notification e-mail a WordPress site sends for a comment or a form (RFC 5322, UTF-8,
   the author, e-mail, URL and text in the body), asked over the SPAMD protocol
   (CHECK), spam when its score reaches the default 5.0. With `--sa-bayes` its Bayes
   filter is first trained (`sa-learn`) on the same training corpus our model learns
   from, so both sides have seen the same examples.
Figures: precision, recall and F1 on spam, false positives and negatives, both sides.
Goal: our F1 above SpamAssassin's on the same items (exit status 1 otherwise).

Throughput. `xuala run`-style web server on a free port with a fresh SQLite data folder,
one plan site with an anti-spam key, then C concurrent clients POST the set's items to
/akismet/1.1/comment-check for S seconds. Figures: checks per second and p50/p99 latency.
Goal: at least 2,000 checks per second with p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xuala.antispam.rules import SiteContext  # noqa: E402
from xuala.antispam.training import CORPUS_PATH, Labelled, read_labelled  # noqa: E402
from xuala.antispam.verdict import verdict  # noqa: E402

BENCH_SET = ROOT / "bench" / "data" / "antispam_bench.jsonl"
SA_THRESHOLD = 5.0
SUBJECTS = {"comment": "[Mi blog] Comentario: \"{title}\"",
            "contact": "[Mi web] Nuevo mensaje del formulario",
            "registration": "[Mi web] Nuevo registro de usuario",
            "order_note": "[Mi tienda] Nota del pedido"}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, *, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def as_message(row: Labelled, number: int) -> bytes:
    """The notification mail a site sends for one submission, as SpamAssassin would see it."""
    item = row.item
    message = EmailMessage()
    message["From"] = "WordPress <wordpress@sitio-cliente.es>"
    message["To"] = "admin@sitio-cliente.es"
    if item.email:
        message["Reply-To"] = f"{item.author} <{item.email}>"
    message["Subject"] = SUBJECTS.get(item.type, SUBJECTS["comment"]).format(title="Entrada")
    message["Date"] = format_datetime(datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    message["Message-ID"] = make_msgid(idstring=str(number), domain="sitio-cliente.es")
    body = (f"Autor: {item.author}\nCorreo electrónico: {item.email}\nURL: {item.url}\n"
            f"Tipo: {item.type}\n\n{item.content}\n")
    message.set_content(body, charset="utf-8")
    return message.as_bytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spamd_check(port: int, message: bytes, timeout: float) -> float:
    """SpamAssassin's score for one message over the SPAMD protocol (CHECK)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"CHECK SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(message) + message)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    for line in answer.decode("latin-1").splitlines():
        if line.startswith("Spam:"):
            return float(line.split(";")[1].split("/")[0])
    raise RuntimeError(f"spamd answered without a score: {answer[:200]!r}")


@contextlib.contextmanager
def spamd(work: Path, *, bayes: bool, timeout: float):
    """Debian's spamd on a free loopback port, local tests only; stopped (by its id) at exit."""
    config = work / "siteconfig"
    config.mkdir()
    for name in os.listdir("/etc/spamassassin"):
        if name.endswith(".pre"):
            shutil.copy(f"/etc/spamassassin/{name}", config / name)
    settings = ["dns_available no", "use_razor2 0", "use_pyzor 0", "skip_rbl_checks 1",
                f"use_bayes {1 if bayes else 0}", "bayes_auto_learn 0", "lock_method flock"]
    if bayes:
        # sa-learn --dbpath and bayes_path are both a prefix: {work}/bayes_toks, _seen
        settings += [f"bayes_path {work}/bayes", "bayes_file_mode 0777"]
    (config / "local.cf").write_text("\n".join(settings) + "\n")
    port = free_port()
    log = (work / "spamd.log").open("wb")
    process = subprocess.Popen(
        ["spamd", "-L", "-x", f"--listen=127.0.0.1:{port}", "--max-children=2",
         f"--siteconfigpath={config}", "-u", "nobody", f"--pidfile={work}/spamd.pid",
         "--syslog=stderr"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"spamd did not start; see {work}/spamd.log")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def sa_learn(work: Path, rows: list[Labelled]) -> None:
    """Trains SpamAssassin's Bayes on the training corpus (the same examples our model saw)."""
    for label in ("spam", "ham"):
        folder = work / f"learn-{label}"
        folder.mkdir()
        for number, row in enumerate(rows):
            if row.spam == (label == "spam"):
                (folder / f"{number}.eml").write_bytes(as_message(row, number))
        subprocess.run(["sa-learn", f"--{label}", f"--siteconfigpath={work}/siteconfig",
                        f"--dbpath={work}/bayes", "--no-sync", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["sa-learn", "--sync", f"--siteconfigpath={work}/siteconfig",
                    f"--dbpath={work}/bayes"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["chmod", "-R", "a+rwX", str(work)], check=True)


def accuracy(rows: list[Labelled], args) -> bool:
    ours = Score()
    started = time.perf_counter()
    for row in rows:
        ours.add(predicted=verdict(row.item, SiteContext(languages=(row.lang,))).spam,
                 actual=row.spam)
    ours_seconds = time.perf_counter() - started
    theirs = Score()
    with tempfile.TemporaryDirectory(prefix="xuala-antispam-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o777)
        with spamd(work, bayes=args.sa_bayes, timeout=args.spamd_timeout) as port:
            if args.sa_bayes:
                sa_learn(work, read_labelled(CORPUS_PATH))
            started = time.perf_counter()
            messages = [as_message(row, number) for number, row in enumerate(rows)]
            with ThreadPoolExecutor(max_workers=2) as pool:
                scores = list(pool.map(lambda m: spamd_check(port, m, args.spamd_timeout),
                                       messages))
            sa_seconds = time.perf_counter() - started
    for row, score in zip(rows, scores, strict=True):
        theirs.add(predicted=score >= SA_THRESHOLD, actual=row.spam)
    spam = sum(row.spam for row in rows)
    peer = "SpamAssassin" + (" + Bayes on our corpus" if args.sa_bayes else " (default rules)")
    print(f"accuracy on {len(rows)} items ({spam} spam, {len(rows) - spam} ham) "
          f"of {args.set.name}")
    print(f"{'':<14}{'precision':>10}{'recall':>10}{'F1':>10}{'FP':>6}{'FN':>6}{'s/item':>10}")
    sides = (("xuala", ours, ours_seconds), ("spamassassin", theirs, sa_seconds))
    for name, score, seconds in sides:
        print(f"{name:<14}{score.precision:>10.3f}{score.recall:>10.3f}{score.f1:>10.3f}"
              f"{score.fp:>6}{score.fn:>6}{seconds / len(rows):>10.4f}")
    print(f"peer: {peer}; F1 ratio {ours.f1 / theirs.f1 if theirs.f1 else float('inf'):.2f}x")
    passed = ours.f1 > theirs.f1
    print(("PASS" if passed else "FAIL") + ": F1 on spam above SpamAssassin's on the same items")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=BENCH_SET)
    parser.add_argument("--limit", type=int, help="only the first N items of the set")
    parser.add_argument("--accuracy-only", action="store_true")
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument("--sa-bayes", action="store_true",
                        help="train SpamAssassin's Bayes on our training corpus first")
    parser.add_argument("--spamd-timeout", type=float, default=60.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = read_labelled(args.set)[: args.limit]
    ok = True
    if not args.throughput_only:
        ok = accuracy(rows, args) and ok
    if not args.accuracy_only:
        from bench_antispam_http import throughput  # the HTTP half needs the Django side

        ok = throughput(rows, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
