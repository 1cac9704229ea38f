"""The learned triage decision: the model picks the scope rule, the policy's own triage
(xuala/desk/triage.py) turns that rule and who is asking into decision, clause and class.

A prediction below the policy's ``[triage] threshold`` is not certain: the desk proposes
it and an agent decides. The probability and the words that weighed most travel with the
decision (``Triage.basis()``), into the ticket's triage event and onto the agent's page.
Without a model file, ``learned_triage`` returns None and the keyword rules decide as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from xuala.desk.triage import Facts, Triage, rule_triage, rules_of
from xuala.desk.triage import keyword_triage as triage
from xuala.policy.schema import Decision, Policy
from xuala.triage import model as triage_model


@dataclass(frozen=True)
class Learned:
    triage: Triage
    probability: float
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        t = self.triage
        return {"decision": str(t.decision), "clause": t.clause, "class": str(t.ticket_class),
                "rule": t.rule, "certain": t.certain, "probability": round(self.probability, 4),
                "reasons": self.reasons}


def decide(policy: Policy, facts: Facts, rule: str, probability: float,
           reasons: list[str] | None = None) -> Learned:
    """The decision for ``rule`` predicted with ``probability``, by the policy's triage.

    At or above the policy's threshold the decision is certain and applied at once, except
    an emergency: the text only says something is down; the one-shot check's live facts
    decide between a server fault (§1) and a fault of the website (§6.2), so it waits for
    them as a proposal. Below the threshold it is a proposal on the ordinary class."""
    reasons = reasons or []
    if not facts.is_client:  # a fact, not a judgement: triage refuses, certainly
        return Learned(triage(policy, facts), 1.0, reasons)
    decided = rule_triage(policy, facts, rule)
    certain = (probability >= policy.triage.threshold
               and decided.decision != Decision.EMERGENCY)
    ticket_class = decided.ticket_class if certain else rule_triage(
        policy, facts, "other").ticket_class  # the ordinary class until it is settled
    return Learned(Triage(decided.decision, decided.clause, decided.rule, certain, ticket_class,
                          probability, tuple(reasons), policy.triage.threshold),
                   probability, reasons)


# Predictions made ahead for a group of requests (``learned_prefetch``), by text, per thread.
_ahead = threading.local()


def learned_prefetch(policy: Policy, texts: list[str]) -> None:
    """Predict a group's texts in one call (a fifth of the time per request, or less); each
    is taken once by ``learned_triage``. The previous group's leftovers are dropped."""
    model = triage_model.load()
    _ahead.predictions = {} if model is None else {
        (id(model), text): p for text, p in zip(texts, model.predict(texts), strict=True)}


def learned_triage(policy: Policy, facts: Facts, *, subject: str = "", body: str | None = None,
                   model: triage_model.TriageModel | None = None) -> Learned | None:
    """The learned decision on a free-text request, or None without a usable model.

    ``facts.text`` is the subject and description together; pass ``subject`` and ``body``
    apart when they are known (the model was trained on both)."""
    model = model or triage_model.load()
    if model is None:
        return None
    text = triage_model.request_text(subject, body) if body is not None else facts.text
    ahead = getattr(_ahead, "predictions", {}).pop((id(model), text), None)
    prediction = ahead or model.predict([text])[0]
    if prediction.rule not in {rule.key for rule in rules_of(policy)}:
        return None  # a model trained for another policy's rules: the keywords decide
    return decide(policy, facts, prediction.rule, prediction.probability, prediction.reasons)
