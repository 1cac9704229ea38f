"""A verdict on one submission: the model's margin plus the rules' weights, with every reason.

Pure Python (no Django). `verdict(item, site)` is the one way the service, the
benchmark and the tests judge an item.
"""

from __future__ import annotations

from dataclasses import dataclass

from xuala.antispam import rules
from xuala.antispam.filter import Item, Model, SiteDelta, global_model, probability
from xuala.antispam.rules import Reason, SiteContext

CERTAIN_MARGIN = 7.0  # past this (odds about 1:1100) spam is discarded unseen (Akismet's "discard")


@dataclass(frozen=True)
class Verdict:
    spam: bool
    score: float  # probability of spam, 0..1
    certain: bool
    reasons: list[Reason]
    margin: float

    def as_dict(self) -> dict:
        return {"spam": self.spam, "score": round(self.score, 4), "certain": self.certain,
                "reasons": [reason.as_dict() for reason in self.reasons]}


def verdict(item: Item, site: SiteContext | None = None, *, model: Model | None = None,
            delta: SiteDelta | None = None) -> Verdict:
    site = site or SiteContext()
    model = model or global_model()
    learned = model.score(item, delta)
    found = rules.reasons(item, site)
    detail = "global and site model" if delta is not None and len(delta.indices) else "global model"
    telling = model.telling(item, delta, towards_spam=learned > 0)
    if telling:
        detail += "; most telling: " + ", ".join(telling)
    model_reason = Reason("model", learned, detail)
    margin = learned + sum(reason.weight for reason in found)
    certain = margin >= CERTAIN_MARGIN or any(reason.code == "honeypot" for reason in found)
    return Verdict(spam=margin > 0, score=probability(margin), certain=certain,
                   reasons=[model_reason, *found], margin=margin)


def learn(item: Item, site: SiteContext | None = None, *, spam: bool, delta: SiteDelta,
          model: Model | None = None) -> SiteDelta:
    """A site's report on an item: its delta grows until the verdict matches the report."""
    site = site or SiteContext()
    model = model or global_model()
    offset = sum(reason.weight for reason in rules.reasons(item, site))
    return model.learn(item, spam=spam, delta=delta, offset=offset)
