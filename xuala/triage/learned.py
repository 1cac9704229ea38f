"""The learned triage decision: the model picks the scope rule, the policy's own triage
(xuala/desk/triage.py) turns that rule and who is asking into decision, clause and class.

A prediction below the policy's ``[triage] threshold`` is not certain: the desk proposes
it and an agent decides. Without a model file, ``learned_triage`` returns None and the
keyword rules decide as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xuala.desk.triage import Facts, Triage, rules_of
from xuala.desk.triage import keyword_triage as triage
from xuala.policy.schema import Policy
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


def _ordinary(policy: Policy, facts: Facts) -> Triage:
    """What the policy says when no rule changes the outcome (covered, §2 or §6.3.2)."""
    return triage(policy, Facts(is_client=True, has_plan=facts.has_plan, category=None,
                                text="", language=facts.language, extras=facts.extras))


def decide(policy: Policy, facts: Facts, rule: str, probability: float,
           reasons: list[str] | None = None) -> Learned:
    """The decision for ``rule`` predicted with ``probability``, by the policy's triage."""
    reasons = reasons or []
    if not facts.is_client:  # a fact, not a judgement: triage refuses, certainly
        return Learned(triage(policy, facts), 1.0, reasons)
    if rule == "other":
        plain = _ordinary(policy, facts)
        decided = Triage(plain.decision, plain.clause, "other", True, plain.ticket_class)
    else:  # the predicted rule as if the client had picked it in the form
        decided = triage(policy, Facts(is_client=True, has_plan=facts.has_plan, category=rule,
                                       text=facts.text, language=facts.language,
                                       extras=facts.extras))
    if probability >= policy.triage.threshold:
        return Learned(decided, probability, reasons)
    # Not sure: propose the rule, keep the ordinary class until an agent agrees.
    plain = _ordinary(policy, facts)
    return Learned(Triage(decided.decision, decided.clause, decided.rule, False,
                          plain.ticket_class), probability, reasons)


def learned_triage(policy: Policy, facts: Facts, *, subject: str = "", body: str | None = None,
                   model: triage_model.TriageModel | None = None) -> Learned | None:
    """The learned decision on a free-text request, or None without a usable model.

    ``facts.text`` is the subject and description together; pass ``subject`` and ``body``
    apart when they are known (the model was trained on both)."""
    model = model or triage_model.load()
    if model is None:
        return None
    text = triage_model.request_text(subject, body) if body is not None else facts.text
    prediction = model.predict([text])[0]
    if prediction.rule not in {rule.key for rule in rules_of(policy)}:
        return None  # a model trained for another policy's rules: the keywords decide
    return decide(policy, facts, prediction.rule, prediction.probability, prediction.reasons)
