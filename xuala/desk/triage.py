"""Coverage triage: what the policy decides about a new request, and the clause behind it.

Pure Python over the policy data and the facts the desk knows. A decision is
``certain`` when it rests on facts (not a client; a structured form answer) and
is applied at once; a judgement on free text is a proposal for the agent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from xuala.policy.schema import Decision, Policy, ScopeRule, TicketClass


@dataclass(frozen=True)
class Facts:
    is_client: bool  # an active service
    has_plan: bool  # an active coverage-plan contract covering the request
    category: str | None  # the structured form answer (a scope rule key), if any
    text: str  # subject and description
    language: str = "es"
    extras: frozenset[str] = frozenset()  # the plan extras the customer's plans include


@dataclass(frozen=True)
class Triage:
    decision: Decision
    clause: str
    rule: str  # scope rule key, or "not_client" / "default"
    certain: bool
    ticket_class: TicketClass
    # What weighed (a learned decision): the model's calibrated probability and the words
    # (and "policy keywords:RULE") that pushed most toward the rule. Stored with the
    # ticket's triage event and shown to agents.
    probability: float | None = None
    reasons: tuple[str, ...] = ()
    threshold: float | None = None  # the policy's, which the probability was held against

    def basis(self) -> dict:
        """The probability and reasons, for an event's data (empty for the keyword rules)."""
        if self.probability is None:
            return {}
        return {"probability": round(self.probability, 4), "reasons": list(self.reasons),
                "threshold": self.threshold}

    @property
    def refuses(self) -> bool:
        return self.decision in (Decision.REFUSED, Decision.NEEDS_PLAN)


def _fold(text: str) -> str:
    """Lower-case without accents, so "llámame" matches "llamame"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def match_rule(policy: Policy, text: str) -> ScopeRule | None:
    """The scope rule whose keywords (either language) best match the text, if any.

    Most matching keywords wins; on a tie a rule that changes the outcome (refuses,
    asks for a plan, a quote or a meeting) wins over plain cover, so the agent sees it.
    """
    folded = f" {_fold(text)} "
    best, best_score = None, (0, False)
    for rule, words in _keyword_patterns(policy):
        # The substring test is a fast filter; the pattern then requires whole words.
        hits = sum(1 for word, pattern in words if word in folded and pattern.search(folded))
        score = (hits, rule.decision != Decision.COVERED)
        if hits and score > best_score:
            best, best_score = rule, score
    return best


_patterns: dict[int, tuple[Policy, list]] = {}


def _keyword_patterns(policy: Policy) -> list[tuple[ScopeRule, list[tuple[str, re.Pattern]]]]:
    """Each scope rule with its keywords folded and compiled, once per policy object."""
    cached = _patterns.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    compiled = []
    for rule in rules_of(policy):
        words = []
        for word in {*rule.keywords.es, *rule.keywords.en}:
            folded = _fold(word)
            words.append((folded, re.compile(rf"(?<![\w]){re.escape(folded)}(?![\w])")))
        compiled.append((rule, words))
    if len(_patterns) > 16:
        _patterns.clear()
    _patterns[id(policy)] = (policy, compiled)
    return compiled


def extra_rule(policy: Policy, key: str) -> ScopeRule:
    """A plan extra (the closing paragraph) as a scope rule: by default it needs a quote
    (§5); a client whose plan includes it is covered (see ``_resolve``)."""
    extra = policy.extras[key]
    return ScopeRule(key=key, decision=Decision.NEEDS_QUOTE, clause=policy.quotes.clause,
                     label=extra.label, keywords=extra.keywords)


def rules_of(policy: Policy) -> list[ScopeRule]:
    """The scope rules, then one per plan extra."""
    return [*policy.scope, *(extra_rule(policy, key) for key in policy.extras)]


def rule_of(policy: Policy, key: str) -> ScopeRule:
    """The scope rule or plan extra named ``key`` (a category of the form)."""
    if key in policy.extras:
        return extra_rule(policy, key)
    return policy.scope_rule(key)


def plan_extras(policy: Policy, plan_keys) -> frozenset[str]:
    """The extras (content management, orders, customer service...) of the customer's plans."""
    extras: set[str] = set()
    for key in plan_keys:
        try:
            extras.update(policy.plan(key).extras)
        except KeyError:  # a contract whose plan the policy no longer names
            continue
    return frozenset(extras)


def plans_with_extra(policy: Policy, key: str) -> list:
    return [plan for plan in policy.plans if key in plan.extras]


def _class_for(decision: Decision, has_plan: bool) -> TicketClass:
    if decision == Decision.EMERGENCY:
        return TicketClass.EMERGENCY
    return TicketClass.PRIORITY if has_plan else TicketClass.STANDARD


def _resolve(policy: Policy, rule: ScopeRule, facts: Facts) -> tuple[Decision, str]:
    """A rule's decision given who is asking: a plan turns "needs a plan" into cover (the
    urgent review of the website's problems, §6.3.6)."""
    if rule.key in facts.extras:  # a plan extra the customer's plan includes: covered
        return Decision.COVERED, policy.coverage.plans_clause
    if rule.decision == Decision.NEEDS_PLAN and facts.has_plan:
        return Decision.COVERED, policy.service_clause("urgent_review")
    if rule.decision == Decision.NEEDS_PLAN:
        return Decision.NEEDS_PLAN, rule.clause
    return rule.decision, rule.clause


def rule_triage(policy: Policy, facts: Facts, key: str) -> Triage:
    """The certain decision for the rule ``key`` as if the client had picked it in the form
    (an agent's choice, a learned prediction, a live fact); "other" is the ordinary cover."""
    if key == "other":
        plain = keyword_triage(policy, Facts(is_client=True, has_plan=facts.has_plan,
                                             category=None, text="", language=facts.language,
                                             extras=facts.extras))
        return Triage(plain.decision, plain.clause, "other", True, plain.ticket_class)
    return keyword_triage(policy, Facts(is_client=True, has_plan=facts.has_plan, category=key,
                                        text=facts.text, language=facts.language,
                                        extras=facts.extras))


def triage(policy: Policy, facts: Facts) -> Triage:
    if not facts.is_client:
        return Triage(Decision.REFUSED, policy.coverage.clause, "not_client", True,
                      TicketClass.STANDARD)
    # Plain cover cites the response-time promise of the client's class (§6.3.2 or §2).
    default_clause = (policy.targets.priority if facts.has_plan
                      else policy.targets.standard).clause
    if facts.category and facts.category != "other":
        rule = rule_of(policy, facts.category)
        decision, clause = _resolve(policy, rule, facts)
        return Triage(decision, clause, rule.key, True, _class_for(decision, facts.has_plan))
    rule = match_rule(policy, facts.text)
    if rule is None or rule.decision == Decision.COVERED:
        return Triage(Decision.COVERED, default_clause, rule.key if rule else "default", True,
                      _class_for(Decision.COVERED, facts.has_plan))
    decision, clause = _resolve(policy, rule, facts)
    if decision == Decision.COVERED:
        return Triage(decision, clause, rule.key, True, _class_for(decision, facts.has_plan))
    # A judgement on free text: the ticket stays on its ordinary class until an agent agrees.
    return Triage(decision, clause, rule.key, False, _class_for(Decision.COVERED, facts.has_plan))


# --- Learned triage hook (issue 17; the model lives in xuala/triage) -----------------------
# With the policy's [triage] model = true, free text is decided by the learned model when it
# is sure (its calibrated probability at or above [triage] threshold) and proposed to an agent
# when it is not. Without a model file, or with one trained for other scope rules, or with
# model = false, the keyword rules above decide. The triage app registers the learned
# decider when it is ready, so the desk does not import it (the learned decider builds on
# the rules here).
keyword_triage = triage
_learned: list = []
_prefetch: list = []


def learned_triage_register(decide, prefetch=None) -> None:
    """Register ``decide(policy, facts) -> result with .triage, or None`` (one at most), and
    ``prefetch(policy, texts)``, which may decide many texts at once ahead of ``decide``."""
    _learned[:] = [decide]
    _prefetch[:] = [prefetch] if prefetch else []


def triage_prefetch(policy: Policy, texts: list[str]) -> None:
    """Free texts about to be triaged together (``Facts.text`` of each): a learned model
    decides a batch in a fraction of the time it takes one by one."""
    texts = [text for text in texts if text.strip()]
    if _prefetch and policy.triage.model and texts:
        _prefetch[0](policy, texts)


def triage(policy: Policy, facts: Facts) -> Triage:
    free_text = not facts.category or facts.category == "other"
    if (_learned and policy.triage.model and facts.is_client and free_text
            and facts.text.strip()):
        learned = _learned[0](policy, facts)
        if learned is not None:
            return learned.triage
    return keyword_triage(policy, facts)
