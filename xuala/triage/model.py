"""The learned triage model: which scope rule a free-text request belongs to.

A linear model (logistic regression) over word and character n-grams of the folded text,
plus one feature per scope rule counting that rule's policy keywords in the text (the
keywords inform the model; they no longer decide alone). Probabilities are calibrated
(sigmoid, cross-validated). Pure Python and scikit-learn; the trained pipeline is one
joblib file, loaded once per process.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, TransformerMixin

PACKAGED_MODEL = Path(__file__).with_name("data") / "model.joblib"
TRAIN_FILE = Path(__file__).with_name("data") / "train.jsonl"
MODEL_ENV = "XUALA_TRIAGE_MODEL"


def fold(text: str) -> str:
    """Lower case without accents ("Llámame" -> "llamame"), as the keyword matcher folds."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def request_text(subject: str, body: str) -> str:
    return f"{subject or ''}\n{body or ''}"


# Short function words are left out of the reasons shown to agents (they still count).
_STOP = frozenset((
    "a", "al", "and", "are", "at", "con", "de", "del", "do", "el", "en", "es", "for", "from",
    "hello", "hi", "hola", "i", "in", "is", "it", "la", "las", "los", "me", "mi", "mis", "my",
    "no", "of", "on", "or", "our", "para", "por", "que", "se", "su", "the", "there", "this",
    "to", "un", "una", "we", "with", "y", "you",
))


class KeywordHits(BaseEstimator, TransformerMixin):
    """One column per scope rule: how many of its policy keywords the text contains."""

    def __init__(self, keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()):
        self.keywords = keywords

    def fit(self, texts, y=None):
        return self

    @functools.cached_property
    def _patterns(self) -> list[re.Pattern | None]:
        out = []
        for _key, words in self.keywords:
            alternatives = "|".join(re.escape(fold(w)) for w in words if w.strip())
            out.append(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if alternatives else None)
        return out

    def transform(self, texts):
        rows = [[len(p.findall(fold(t))) if p else 0 for p in self._patterns] for t in texts]
        return sparse.csr_matrix(np.log1p(np.asarray(rows, dtype=float)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"keywords:{key}" for key, _ in self.keywords], dtype=object)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_patterns", None)
        return state


def policy_keywords(policy) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each scope rule's (and plan extra's) keywords in both languages, from the policy."""
    from xuala.desk.triage import rules_of

    return tuple((rule.key, tuple(sorted({*rule.keywords.es, *rule.keywords.en})))
                 for rule in rules_of(policy))


def build_pipeline(policy):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion([
        ("word", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), min_df=2,
                                 sublinear_tf=True, max_features=15000)),
        ("char", TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(3, 5),
                                 min_df=2, sublinear_tf=True, max_features=30000)),
        ("keywords", KeywordHits(policy_keywords(policy))),
    ])
    model = CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=5, ensemble=False)
    return Pipeline([("features", features), ("model", model)])


@dataclass(frozen=True)
class Prediction:
    rule: str
    probability: float
    reasons: list[str] = field(default_factory=list)  # the words that weighed most


@dataclass
class TriageModel:
    pipeline: object
    labels: list[str]
    scores: dict = field(default_factory=dict)  # what training measured (accuracy, ...)

    def fit(self, texts: list[str], labels: list[str],
            sample_weight: list[float] | None = None) -> TriageModel:
        extra = {"model__sample_weight": sample_weight} if sample_weight else {}
        self.pipeline.fit(texts, labels, **extra)
        for _name, vectorizer in self.pipeline.named_steps["features"].transformer_list:
            if hasattr(vectorizer, "stop_words_"):
                vectorizer.stop_words_ = None  # pruned terms: not needed, and large
        self.labels = [str(label) for label in self.pipeline.classes_]
        return self

    def predict(self, texts: list[str], *, reasons: int = 5) -> list[Prediction]:
        matrix = self._features(texts)
        probabilities = self._probabilities(matrix)
        linear = self._linear()
        names = self._feature_names()
        out = []
        for i, row in enumerate(probabilities):
            best = int(np.argmax(row))
            out.append(Prediction(rule=self.labels[best], probability=float(row[best]),
                                  reasons=self._reasons(matrix[i], linear, best, names, reasons)))
        return out

    def _features(self, texts: list[str]):
        """The FeatureUnion's transform, without its per-call machinery (one request is
        transformed in two thirds of the time; tests/triage compares both)."""
        union = self.pipeline.named_steps["features"]
        if union.transformer_weights:
            return union.transform(texts)
        return sparse.hstack([step.transform(texts) for _name, step in union.transformer_list],
                             format="csr")

    def _probabilities(self, matrix) -> np.ndarray:
        """The calibrated probabilities as CalibratedClassifierCV computes them (sigmoid, one
        versus the rest, normalised, averaged over its calibrated classifiers), without its
        per-call checks: for one request, 0.05 ms instead of 1 ms."""
        model = self.pipeline.named_steps["model"]
        classes = model.classes_
        parts = model.calibrated_classifiers_
        if any(c.method != "sigmoid" or list(c.estimator.classes_) != list(classes)
               for c in parts) or len(classes) < 3:
            return model.predict_proba(matrix)
        total = np.zeros((matrix.shape[0], len(classes)))
        for part in parts:
            linear = part.estimator
            scores = np.asarray(matrix @ linear.coef_.T) + linear.intercept_
            a = np.array([c.a_ for c in part.calibrators])
            b = np.array([c.b_ for c in part.calibrators])
            proba = expit(-(a * scores + b))
            denominator = proba.sum(axis=1, keepdims=True)
            total += np.divide(proba, denominator, out=np.full_like(proba, 1 / len(classes)),
                               where=denominator != 0)
        total /= len(parts)
        total[(total > 1.0) & (total <= 1.0 + 1e-5)] = 1.0
        return total

    def predict_one(self, subject: str, body: str) -> Prediction:
        return self.predict([request_text(subject, body)])[0]

    def _linear(self):
        return self.pipeline.named_steps["model"].calibrated_classifiers_[0].estimator

    @functools.cached_property
    def _names(self) -> np.ndarray:
        return self.pipeline.named_steps["features"].get_feature_names_out()

    def _feature_names(self) -> np.ndarray:
        return self._names

    @staticmethod
    def _reasons(row, linear, best, names, count) -> list[str]:
        """The word features (and keyword counts) that pushed most toward the chosen rule."""
        row = row.tocsr()
        weights = row.data * linear.coef_[best, row.indices]
        order = np.argsort(-weights)
        out = []
        for j in order:
            name = str(names[row.indices[j]])
            if weights[j] <= 0 or len(out) >= count:
                break
            if name.startswith("word__") and not set(name[6:].split()) <= _STOP:
                out.append(name.removeprefix("word__"))
            elif name.startswith("keywords__"):
                out.append("policy " + name.removeprefix("keywords__"))
        return out

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_names", None)
        return state


def train(policy, rows: list[dict], sample_weight: list[float] | None = None) -> TriageModel:
    """A model fitted on ``rows`` (each {"subject", "body", "label"}) for ``policy``."""
    texts = [request_text(r.get("subject", ""), r.get("body", "")) for r in rows]
    return TriageModel(build_pipeline(policy), []).fit(texts, [r["label"] for r in rows],
                                                       sample_weight)


def save(model: TriageModel, path: str | Path) -> Path:
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path, compress=("xz", 6))
    return path


def model_path() -> Path:
    """$XUALA_TRIAGE_MODEL, else a retrained model adopted into the data dir, else the
    packaged one."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    try:
        from django.conf import settings

        adopted = Path(settings.DATA_DIR) / "triage" / "model.joblib"
        if adopted.exists():
            return adopted
    except Exception:  # noqa: S110 (no Django settings: the packaged model)
        pass
    return PACKAGED_MODEL


def model_source(path: Path) -> str:
    """Where the model at ``path`` comes from: "env", "adopted" or "packaged"."""
    if os.environ.get(MODEL_ENV) and Path(os.environ[MODEL_ENV]) == path:
        return "env"
    return "packaged" if path == PACKAGED_MODEL else "adopted"


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> TriageModel:
    import joblib

    return joblib.load(path)


def load(path: str | Path | None = None) -> TriageModel | None:
    """The model at ``path`` (default: $XUALA_TRIAGE_MODEL or the packaged one), loaded once
    per process and again only when the file changes; None when there is no model file."""
    path = Path(path) if path else model_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _load(str(path), mtime)
