"""`xuala triage train` builds the triage model; `xuala triage eval FILE.jsonl` scores it."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from xuala.desk.triage import rules_of
from xuala.policy.loader import PolicyError, load_policy
from xuala.triage import model as triage_model
from xuala.triage.corpus import read_jsonl
from xuala.triage.evaluate import learned_results, observed, score


class Command(BaseCommand):
    help = "The learned coverage triage: train the model, or evaluate it on a JSONL file."

    def add_arguments(self, parser):
        parser.add_argument("--policy", help="a policy file (default: the shipped policy)")
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="build the model file from a labelled corpus")
        train.add_argument("--data", default=str(triage_model.TRAIN_FILE),
                           help="JSONL lines with subject, body and label (a scope rule key)")
        train.add_argument("--out", default=None,
                           help=f"the model file (default: ${triage_model.MODEL_ENV} or the "
                                "packaged model)")
        sub.add_parser("retrain", help="retrain with the agents' examples; adopt the new "
                       "model only if it scores at least as well on the held-back ones")
        evaluate = sub.add_parser("eval", help="triage every request of a JSONL file")
        evaluate.add_argument("file")
        evaluate.add_argument("--model", help="a model file (default: the one in use)")

    def handle(self, *args, **options):
        try:
            policy = load_policy(options.get("policy")).policy
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        if options["action"] == "train":
            return self._train(policy, options)
        if options["action"] == "retrain":
            from xuala.triage.services import model_retrain

            t = model_retrain(policy=policy)
            self.stdout.write(json.dumps({
                "examples": t.examples, "held_back": t.held_back, "old_score": t.old_score,
                "new_score": t.new_score, "adopted": t.adopted}))
            return None
        return self._eval(policy, options)

    def _rows(self, path: str) -> list[dict]:
        try:
            return read_jsonl(path)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None

    def _train(self, policy, options):
        rows = self._rows(options["data"])
        keys = {rule.key for rule in rules_of(policy)}
        unknown = sorted({r.get("label") for r in rows} - keys)
        if unknown:
            raise CommandError(f"labels that are not scope rules of the policy: {unknown}")
        model = triage_model.train(policy, rows)
        out = triage_model.save(model, options["out"] or triage_model.model_path())
        self.stdout.write(f"trained on {len(rows)} requests, {len(model.labels)} rules: "
                          f"{out} ({out.stat().st_size // 1024} KiB)")

    def _eval(self, policy, options):
        rows = self._rows(options["file"])
        model = triage_model.load(options.get("model"))
        if model is None:
            raise CommandError("no triage model: run `xuala triage train` first")
        results = learned_results(policy, rows, model)
        expected, got = [], []
        for row, result in zip(rows, results, strict=True):
            line = result.as_json()
            line.pop("reasons")
            self.stdout.write(json.dumps(line, ensure_ascii=False))
            if row.get("expect"):
                expected.append(str(row["expect"]))
                got.append(observed(result, str(row["expect"])))
        if expected:
            self.stdout.write(json.dumps(score(expected, got).as_json(), ensure_ascii=False))
