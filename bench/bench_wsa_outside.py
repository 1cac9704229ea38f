#!/usr/bin/env python
"""Detection from outside: the WSA's rules on a corpus of real PHP backdoors you supply,
beside another YARA rule set, and the false alarms of both on a pristine WordPress tree.

    .venv/bin/python bench/bench_wsa_outside.py --corpus DIR [--peer-rules FILE]
        [--clean /usr/share/wordpress] [--all-files]

DIR stays out of the repository (a public collection of PHP web shells and backdoors,
fetched by whoever runs this). Counted in it: every regular file with a PHP suffix (or
every file with --all-files). A file is *flagged* when the scanner gives it a signature
finding (kind `malware` or `suspicious`, any severity); the `yara` command with the peer's
rule file (e.g. php-malware-finder's `php.yar`, with or without its hash whitelists, as you
supply it) flags a file when any of its rules matches. Then both run on the clean tree
(Debian's WordPress and its theme): every signature finding there is a false alarm.

Aim (issue 14): at least nine in ten of the corpus flagged (exit status 1 below it), and no
finding of severity high or critical on the clean tree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xuala.wsa.integrity import PHP_SUFFIXES  # noqa: E402
from xuala.wsa.scan import scan_tree  # noqa: E402

SIGNATURE_KINDS = ("malware", "suspicious")
YARA = "/usr/bin/yara"


def counted(corpus: Path, all_files: bool) -> set[str]:
    out = set()
    for folder, _, names in os.walk(corpus):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink() and (
                    all_files or name.lower().endswith(PHP_SUFFIXES)):
                out.add(path.relative_to(corpus).as_posix())
    return out


def ours(tree: Path) -> tuple[set[str], int]:
    """Paths with a signature finding, and how many findings were high or critical."""
    report = scan_tree(tree, full=True, index=False, network=False)
    hits = [f for f in report.findings if f.kind in SIGNATURE_KINDS]
    return {f.path for f in hits}, sum(1 for f in hits if f.severity in ("critical", "high"))


def peer(rules: Path, tree: Path) -> set[str] | None:
    if not Path(YARA).exists():
        return None
    run = subprocess.run([YARA, "-r", "-w", "-p", "1", str(rules), str(tree)],
                         capture_output=True, text=True, check=False)
    if run.returncode not in (0, 1) and not run.stdout:
        print(f"yara could not run the peer's rules: {run.stderr.strip()[-300:]}")
        return None
    paths = set()
    for line in run.stdout.splitlines():
        _rule, _, path = line.partition(" ")
        if path:
            paths.add(Path(path).relative_to(tree).as_posix())
    return paths


def share(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({part / whole:.1%})" if whole else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--peer-rules", type=Path)
    parser.add_argument("--clean", type=Path, default=Path("/usr/share/wordpress"))
    parser.add_argument("--all-files", action="store_true")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        parser.error(f"no such directory: {args.corpus}")
    os.environ["XUALA_WSA_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["XUALA_WSA_HOME"] = scratch  # no checksums, no index: rules only
        files = counted(args.corpus, args.all_files)
        flagged, _ = ours(args.corpus)
        flagged &= files
        alarms, serious_alarms = ours(args.clean)
    print(f"corpus: {args.corpus} ({len(files):,} files)")
    print(f"xuala flags       {share(len(flagged), len(files))}")
    peer_flagged = peer(args.peer_rules, args.corpus) if args.peer_rules else None
    if peer_flagged is not None:
        peer_flagged &= files
        print(f"peer flags        {share(len(peer_flagged), len(files))}  ({args.peer_rules})")
        print(f"  only xuala {len(flagged - peer_flagged):,}, only the peer "
              f"{len(peer_flagged - flagged):,}")
    print(f"clean tree {args.clean}: xuala {len(alarms)} file(s) with a signature finding, "
          f"{serious_alarms} of severity high or critical")
    peer_alarms = peer(args.peer_rules, args.clean) if args.peer_rules else None
    if peer_alarms is not None:
        print(f"clean tree: peer {len(peer_alarms)} file(s) matched")
    missed = sorted(files - flagged)
    if missed:
        print("not flagged by xuala (first 20):")
        for rel in missed[:20]:
            print(f"  {rel}")
    return 0 if files and len(flagged) >= 0.9 * len(files) and not serious_alarms else 1


if __name__ == "__main__":
    sys.exit(main())
