"""The learned half of the anti-spam filter: hashed features, a global model and per-site deltas.

Pure Python over scikit-learn: no Django here, so a text can be scored anywhere.

Features. One `HashingVectorizer` (2**18 buckets, no sign flipping, L2-normalised)
over tokens that this module spells out: the words of the content, character
3- and 4-grams inside words (they survive misspellings and "v1agra"), and the fields
(the link count, each link's domain and top-level domain, the shape of the markup
that carries it, the author's words and shape, the e-mail domain and the form type).
Accents are folded and text lower-cased first, so "envío" and "envio" are one word.

Models. The global model is an `SGDClassifier` (logistic loss) trained at build
time on the project's corpus (`xuala antispam train`) and shipped as `model.npz`.
A site's model is the global one plus a sparse delta: each piece of feedback
(`submit-spam`/`submit-ham`) runs `partial_fit` on a copy of the global weights
with no penalty, so only the weights of that item's features move, and the delta
(site minus global) stays as small as the feedback that made it. The delta is
what a site stores; the margin of an item on a site is the global margin plus the
delta's. Feedback is applied until the item lands on its label (at most a few
passes), which is why one report changes that site's next verdict at once; the
other sites learn it only when an agent's review adds it to the global training.
"""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.utils import murmurhash3_32

N_FEATURES = 2**18
FEATURES_VERSION = 1
MODEL_PATH = Path(__file__).resolve().parent / "model.npz"
LEARNING_RATE = 1.0  # per pass, a report moves its item's margin by about this much
FEEDBACK_MARGIN = 2.0  # a reported item ends at least this far on its side (odds about 1:7)
MAX_TEXT = 4000  # characters of content that are looked at; the rest adds nothing new
READABLE = ("dom:", "edom:", "a:")  # field tokens worth naming in a reason, beside words

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'\]\[)]+|\b[a-z0-9][a-z0-9-]{1,62}\.(?:com|net|org|ru|"
                 r"xyz|top|info|online|site|club|pw|biz|shop|store|live|icu|cn|io|co|pl|su|"
                 r"es|uk|de|fr|me|app|link|click)(?:/[^\s<>\"']*)?\b", re.I)
WORD = re.compile(r"\w+", re.U)


@lru_cache(maxsize=1)
def _combining() -> re.Pattern:
    marks = "".join(chr(c) for c in range(0x300, 0x10000)
                    if unicodedata.combining(chr(c)) and not 0xD800 <= c <= 0xDFFF)
    return re.compile("[" + re.escape(marks) + "]+")


def fold(text: str) -> str:
    """Lower case without accents ("Envío" -> "envio"); other scripts are kept as they are."""
    if text.isascii():
        return text.lower()
    return _combining().sub("", unicodedata.normalize("NFKD", text.lower()))


@dataclass(frozen=True)
class Item:
    """What was submitted: the Akismet fields that the filter reads."""

    content: str = ""
    author: str = ""
    email: str = ""
    url: str = ""
    type: str = "comment"
    user_ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    extra: dict = field(default_factory=dict)


# Akismet's comment_type values, folded into the four kinds the corpus knows.
FORM_TYPES = {"comment": "comment", "reply": "comment", "forum-post": "comment",
              "blog-post": "comment", "trackback": "comment", "pingback": "comment",
              "contact-form": "contact", "contact": "contact", "message": "contact",
              "signup": "registration", "registration": "registration",
              "order_note": "order_note", "order-note": "order_note", "order": "order_note"}


def form_type(name: str) -> str:
    """The kind of form an Akismet `comment_type` names (comment when unknown or empty)."""
    return FORM_TYPES.get(name.strip().lower(), "comment")


def links_of(item: Item) -> list[str]:
    """The links in an item's text (found once per item: tokens, rules and block lists ask)."""
    found = item.__dict__.get("_links")
    if found is None:
        found = URL.findall(item.content[:MAX_TEXT])
        object.__setattr__(item, "_links", found)
    return found


@lru_cache(maxsize=16_384)
def domain_of(link: str) -> str:
    """The host of a link without "www.", lower case ("" when there is none; held per link:
    a site's own address is asked on every call, a spam campaign's links again and again)."""
    if "://" not in link:
        link = "http://" + link
    try:
        host = urlsplit(link).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def registrable(host: str) -> str:
    """The last two labels of a host (three under a two-letter second level such as co.uk)."""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _shape(name: str) -> str:
    if not name:
        return "empty"
    if any(ch.isdigit() for ch in name):
        return "digits"
    inner_caps = sum(1 for ch in name[1:] if ch.isupper())
    if " " not in name and inner_caps >= 2:
        return "camel"
    if " " not in name and len(name) > 9:
        return "long"
    return "words" if " " in name else "word"


def _grams_of(word: str) -> list[str]:
    """A word's character 3- and 4-gram tokens."""
    padded = f" {word} "
    return ["c:" + padded[i:i + n] for n in (3, 4) for i in range(len(padded) - n + 1)]


@dataclass(frozen=True)
class Features:
    """An item's features before hashing: the words of its text, and the field tokens."""

    words: list[str]
    fields: list[str]


def features(item: Item) -> Features:
    """The words and field tokens of an item, found once per item."""
    found = item.__dict__.get("_features")
    if found is None:
        found = _features(item)
        object.__setattr__(item, "_features", found)
    return found


def _features(item: Item) -> Features:
    text = fold(item.content[:MAX_TEXT])
    words = WORD.findall(text)
    links = links_of(item)
    out = [f"nlinks:{min(len(links), 4)}", f"len:{min(len(text) // 80, 8)}"]
    if "<a " in text:
        out.append("markup:a")
    if "[url" in text:
        out.append("markup:bbcode")
    for link in links + ([item.url] if item.url else []):
        host = domain_of(link)
        if host:
            out.extend(("dom:" + registrable(host), "tld:" + host.rsplit(".", 1)[-1]))
            out.extend("dw:" + part for part in re.split(r"[.-]", registrable(host))[:-1] if part)
    out.append("urlfield:" + ("yes" if item.url else "no"))
    author = fold(item.author)
    out.extend("a:" + w for w in WORD.findall(author))
    out.append("ashape:" + _shape(item.author))
    email = item.email.lower()
    local, _, mail_domain = email.rpartition("@")
    out.append("edom:" + mail_domain)
    out.append("etld:" + mail_domain.rsplit(".", 1)[-1])
    out.append("edigits:" + str(min(sum(ch.isdigit() for ch in local), 4)))
    out.append("type:" + item.type)
    if not words:
        out.append("empty:" + item.type)
    return Features(words, out)


def tokens(item: Item) -> list[str]:
    """The feature names of an item (hashed afterwards); see the module docstring.

    The words of the text (each time it occurs), the character grams of each distinct
    word once, then the field tokens.
    """
    found = features(item)
    out = ["w:" + w for w in found.words]
    for w in set(found.words):
        out.extend(_grams_of(w))
    out.extend(found.fields)
    return out


@lru_cache(maxsize=1)
def vectorizer() -> HashingVectorizer:
    return HashingVectorizer(analyzer=tokens, n_features=N_FEATURES, alternate_sign=False,
                             norm="l2", dtype=np.float64)


def vectorize(items: list[Item]):
    return vectorizer().transform(items)


def column_of(token: str) -> int:
    """The column `HashingVectorizer` gives a token (murmurhash3, absolute value, modulo)."""
    h = murmurhash3_32(token, seed=0)
    return (2**31) % N_FEATURES if h == -(2**31) else abs(h) % N_FEATURES


_BUCKETS: dict[str, int] = {}
HELD_TOKENS = 200_000  # field tokens, and words with their grams, whose columns are held


def bucket_of(token: str) -> int:
    """`column_of(token)`, held per token."""
    index = _BUCKETS.get(token)
    if index is None:
        index = column_of(token)
        if len(_BUCKETS) > HELD_TOKENS:
            _BUCKETS.clear()
        _BUCKETS[token] = index
    return index


_WORDS: dict[str, tuple[int, tuple[int, ...]]] = {}


def _word_columns(word: str) -> tuple[int, tuple[int, ...]]:
    """The columns of a word's token and of its grams, held per word: words recur from text
    to text, and the grams are most of an item's tokens. (Tuples of numbers: the garbage
    collector stops tracking them, so a large table costs its full collections nothing.)"""
    found = _WORDS.get(word)
    if found is None:
        found = (column_of("w:" + word), tuple(column_of(gram) for gram in _grams_of(word)))
        if len(_WORDS) > HELD_TOKENS:
            _WORDS.clear()
        _WORDS[word] = found
    return found


@dataclass(frozen=True)
class Row:
    """One item's feature vector as sorted columns and L2-normalised values."""

    indices: np.ndarray
    data: np.ndarray


def item_columns(item: Item) -> list[int]:
    """The column of each of `tokens(item)` (repeats kept, in another order), found once per
    item without spelling the grams out."""
    found = item.__dict__.get("_columns")
    if found is None:
        held = features(item)
        words = {word: _word_columns(word) for word in set(held.words)}
        found = [words[word][0] for word in held.words]
        for _column, grams in words.values():
            found.extend(grams)
        found.extend(map(bucket_of, held.fields))
        object.__setattr__(item, "_columns", found)
    return found


def _readable(item: Item) -> dict[str, int]:
    """The features worth naming in a reason (words, domains, author words) and their columns."""
    held = features(item)
    found = {"w:" + word: _word_columns(word)[0] for word in set(held.words)}
    found.update((token, bucket_of(token)) for token in held.fields if token.startswith(READABLE))
    return found


def _norm(columns: list[int]) -> float:
    """The L2 norm of the counts per column (most items have no column twice)."""
    if len(set(columns)) == len(columns):
        return math.sqrt(len(columns))
    return math.sqrt(sum([count * count for count in Counter(columns).values()]))


def row_of(item: Item) -> Row:
    """The same vector as `vectorize([item])[0]`, without scikit-learn's per-call checks.

    Learning and the tests use it; scoring (`Model.score`) sums the same row in plain
    Python, which for one item is several times faster than numpy's set-up. Tests hold
    the three equal.
    """
    counts = Counter(item_columns(item))
    indices = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
    data = np.fromiter((counts[column] for column in indices.tolist()), dtype=np.float64,
                       count=len(counts))
    norm = math.sqrt(float(np.dot(data, data)))
    return Row(indices, data / norm if norm else data)


@dataclass
class SiteDelta:
    """A site's own learning: sparse weight changes on top of the global model."""

    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    values: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    intercept: float = 0.0

    def weights(self) -> dict[int, float]:
        """The delta as column -> weight change (built once; a delta is never changed in place)."""
        found = self.__dict__.get("_weights")
        if found is None:
            found = dict(zip(self.indices.tolist(), self.values.tolist(), strict=True))
            self.__dict__["_weights"] = found
        return found

    def margin(self, row) -> float:
        if not len(self.indices):
            return self.intercept
        where = np.searchsorted(self.indices, row.indices)
        where[where >= len(self.indices)] = 0
        hit = self.indices[where] == row.indices
        return float(np.dot(row.data[hit], self.values[where[hit]])) + self.intercept

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, indices=self.indices, values=self.values,
                            intercept=np.array([self.intercept]))
        return buffer.getvalue()

    @classmethod
    def loads(cls, blob: bytes | None) -> SiteDelta:
        if not blob:
            return cls()
        data = np.load(io.BytesIO(blob))
        return cls(data["indices"], data["values"], float(data["intercept"][0]))


class Model:
    """The global weights, loaded once per process (see `global_model`)."""

    def __init__(self, coef: np.ndarray, intercept: float, meta: dict | None = None):
        self.coef = np.asarray(coef, dtype=np.float64).ravel()
        self.intercept = float(intercept)
        self.meta = meta or {}

    def margin(self, row, delta: SiteDelta | None = None) -> float:
        value = float(np.dot(row.data, self.coef[row.indices])) + self.intercept
        return value + (delta.margin(row) if delta is not None else 0.0)

    def weights(self) -> list[float]:
        """The global weights as a plain list: one item's few columns are read faster there."""
        found = self.__dict__.get("_weights")
        if found is None:
            found = self.__dict__["_weights"] = self.coef.tolist()
        return found

    def score(self, item: Item, delta: SiteDelta | None = None) -> float:
        """The model's margin (log-odds of spam) for one item: `margin(row_of(item), delta)`."""
        columns = item_columns(item)
        total = sum(map(self.weights().__getitem__, columns))
        value = self.intercept
        if delta is not None:
            value += delta.intercept
            if len(delta.indices):
                changes = delta.weights()
                total += sum([changes[column] for column in columns if column in changes])
        norm = _norm(columns)
        return value + (total / norm if norm else 0.0)

    def telling(self, item: Item, delta: SiteDelta | None = None, *, towards_spam: bool,
                count: int = 3) -> list[str]:
        """The readable features (words, domains, author words) that pushed the item's
        margin furthest towards spam (or towards ham), strongest first."""
        weights = self.weights()
        changes = delta.weights().get if delta is not None and len(delta.indices) else None
        sign = 1.0 if towards_spam else -1.0
        ranked = sorted((((weights[column] + (changes(column, 0.0) if changes else 0.0)) * sign,
                          token) for token, column in _readable(item).items()), reverse=True)
        return [token for weight, token in ranked[:count] if weight > 0]

    def learn(self, item: Item, *, spam: bool, delta: SiteDelta, offset: float = 0.0,
              passes: int = 20) -> SiteDelta:
        """One piece of a site's feedback: `partial_fit` until the item lands on its label.

        `offset` is what the rules add to this item's margin: the site's model learns
        until the whole verdict (model plus rules) is on the reported side by a clear
        margin, not only the model's share of it.
        """
        row = vectorize([item])
        site = delta_to_dense(self, delta)
        clf = SGDClassifier(loss="log_loss", penalty=None, learning_rate="constant",
                            eta0=LEARNING_RATE)
        clf.coef_ = site[0].reshape(1, -1).copy()
        clf.intercept_ = np.array([site[1]])
        label = np.array([1 if spam else 0])
        for _ in range(passes):
            own = float(row[0].dot(clf.coef_[0])[0]) + float(clf.intercept_[0])
            if (own + offset > FEEDBACK_MARGIN) if spam else (own + offset < -FEEDBACK_MARGIN):
                break
            # The log-loss gradient fades as the model's own margin grows, but the rules'
            # offset may still hold the verdict on the wrong side: weighting the sample by
            # the inverse of its loss gradient makes every pass move the margin by about
            # LEARNING_RATE (the row is L2-normalised), so the loop ends in a few passes.
            wrong = 1.0 - probability(own) if spam else probability(own)
            weight = np.array([1.0 / max(wrong, 1e-4)])
            clf.partial_fit(row, label, classes=np.array([0, 1]), sample_weight=weight)
        change = clf.coef_[0] - self.coef
        nonzero = np.flatnonzero(np.abs(change) > 1e-9).astype(np.int32)
        return SiteDelta(nonzero, change[nonzero].astype(np.float32),
                         float(clf.intercept_[0]) - self.intercept)

    def save(self, path: Path = MODEL_PATH) -> None:
        nonzero = np.flatnonzero(self.coef).astype(np.int32)
        meta = json.dumps({**self.meta, "features_version": FEATURES_VERSION,
                           "n_features": N_FEATURES})
        np.savez_compressed(path, indices=nonzero, values=self.coef[nonzero].astype(np.float32),
                            intercept=np.array([self.intercept]), meta=np.array([meta]))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        data = np.load(path)
        meta = json.loads(str(data["meta"][0]))
        if meta.get("features_version") != FEATURES_VERSION:
            raise ValueError(f"{path} was built for features version "
                             f"{meta.get('features_version')}, this code reads "
                             f"{FEATURES_VERSION}: run `xuala antispam train`")
        coef = np.zeros(N_FEATURES)
        coef[data["indices"]] = data["values"]
        return cls(coef, float(data["intercept"][0]), meta)


def delta_to_dense(model: Model, delta: SiteDelta) -> tuple[np.ndarray, float]:
    coef = model.coef.copy()
    coef[delta.indices] += delta.values
    return coef, model.intercept + delta.intercept


@lru_cache(maxsize=1)
def global_model() -> Model:
    return Model.load()


def train(items: list[Item], labels: list[bool], *, epochs: int = 8, seed: int = 15,
          meta: dict | None = None) -> Model:
    """The global model from a labelled list (shuffled, several passes of `partial_fit`)."""
    X = vectorize(items)
    y = np.array([1 if label else 0 for label in labels])
    clf = SGDClassifier(loss="log_loss", alpha=2e-5, penalty="l2", random_state=seed,
                        learning_rate="optimal")
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(items))
        clf.partial_fit(X[order], y[order], classes=np.array([0, 1]))
    return Model(clf.coef_[0], float(clf.intercept_[0]), meta)


def probability(margin: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(margin, 40.0), -40.0)))
