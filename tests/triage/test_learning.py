"""Learning from the agents: settled proposals become examples, a retraining that scores
at least as well is adopted and changes the next decision, a worse one is not used."""

import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import contact_user
from xuala.desk.models import Channel, TriageState
from xuala.desk.services import (
    event_record,
    ticket_open,
    ticket_triage_apply,
    ticket_triage_change,
    ticket_triage_dismiss,
)
from xuala.desk.triage import Facts
from xuala.policy.loader import load_policy
from xuala.triage import model as triage_model
from xuala.triage.corpus import read_jsonl
from xuala.triage.learned import learned_triage
from xuala.triage.models import TriageExample, TriageTraining
from xuala.triage.services import adopted_model_file, model_retrain, retrain_step

MADRID = ZoneInfo("Europe/Madrid")
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)


@pytest.fixture(scope="module")
def small_base():
    """Eight corpus requests per rule: enough to learn, quick to retrain."""
    rows, per = [], {}
    for row in read_jsonl(triage_model.TRAIN_FILE):
        if per.get(row["label"], 0) < 8:
            per[row["label"]] = per.get(row["label"], 0) + 1
            rows.append(row)
    return rows


@pytest.fixture
def in_use(settings, tmp_path, monkeypatch, small_base):
    """A data dir of its own, with a model trained on the small base adopted in it."""
    monkeypatch.delenv(triage_model.MODEL_ENV, raising=False)
    settings.DATA_DIR = tmp_path
    policy = load_policy().policy
    triage_model.save(triage_model.train(policy, small_base), adopted_model_file())
    return policy


def open_(customer, subject, body, at=NOON):
    return ticket_open(customer=customer, contact=contact_user(customer), channel=Channel.EMAIL,
                       subject=subject, body_text=body, category=None, received_at=at).ticket


def decide(policy, subject, body):
    return learned_triage(policy, Facts(True, False, None, f"{subject}\n{body}"),
                          subject=subject, body=body)


ZUVEX = [("Zuvex", "El programa Zuvex no exporta los albaranes del mes."),
         ("Zuvex otra vez", "Zuvex se queda colgado al exportar albaranes."),
         ("Albaranes Zuvex", "No consigo sacar los albaranes de Zuvex en PDF."),
         ("Zuvex", "Los albaranes de Zuvex salen vacíos al exportarlos.")]


def test_what_agents_apply_dismiss_or_change_is_recorded_as_examples(
        in_use, unsure_model, hosting_customer, agent_user):
    changed, dismissed, applied = (open_(hosting_customer, *z) for z in ZUVEX[:3])
    assert {t.triage_state for t in (changed, dismissed, applied)} == {TriageState.PROPOSED}
    proposed = changed.triage_rule
    other_rule = "meeting" if proposed == "third_party" else "third_party"
    ticket_triage_change(ticket=changed, actor=agent_user, rule=other_rule)
    ticket_triage_dismiss(ticket=dismissed, actor=agent_user)
    ticket_triage_apply(ticket=applied, actor=agent_user)
    examples = list(TriageExample.objects.values_list("source", "label", "proposed", "body"))
    assert examples == [("changed", other_rule, proposed, ZUVEX[0][1]),
                        ("dismissed", "other", dismissed.triage_rule, ZUVEX[1][1]),
                        ("applied", applied.triage_rule, applied.triage_rule, ZUVEX[2][1])]


def test_learning_from_agents_corrections_changes_the_next_decision(
        in_use, unsure_model, hosting_customer, agent_user, small_base):
    before = decide(in_use, "Zuvex", "Zuvex no me deja exportar los albaranes.")
    taught = "meeting" if before.triage.rule == "third_party" else "third_party"
    for subject, body in ZUVEX:  # the agents change each proposal to the rule they know
        ticket_triage_change(ticket=open_(hosting_customer, subject, body), actor=agent_user,
                             rule=taught)
    training = model_retrain(policy=in_use, base=small_base, now=NOON)
    assert training.adopted and training.examples + training.held_back == 4
    after = decide(in_use, "Zuvex", "Zuvex no me deja exportar los albaranes.")
    assert before.triage.rule != taught
    assert after.triage.rule == taught


def _pks(held: bool, count: int, start: int = 1000) -> list[int]:
    """Example ids that the retraining holds back (or trains on): a fixed part by id."""
    out, pk = [], start
    while len(out) < count:
        if (zlib.crc32(str(pk).encode()) % 100 < 25) == held:
            out.append(pk)
        pk += 1
    return out


def test_a_worse_retrained_model_is_not_used(db, in_use, small_base):
    printer = ("Impresora", "La impresora de la oficina no imprime desde el portátil.")
    for pk in _pks(held=True, count=6):  # scored on: the right rule
        TriageExample.objects.create(pk=pk, subject=printer[0], body=printer[1],
                                     label="personal_computing", source="changed")
    for pk in _pks(held=False, count=12, start=5000):  # trained on: wrong labels
        TriageExample.objects.create(pk=pk, subject=printer[0], body=printer[1],
                                     label="meeting", source="changed")
    before = adopted_model_file().stat().st_mtime_ns
    training = model_retrain(policy=in_use, base=small_base, now=NOON)
    assert not training.adopted
    assert training.new_score < training.old_score  # both scores are kept
    assert TriageTraining.objects.get().old_score == training.old_score
    assert adopted_model_file().stat().st_mtime_ns == before
    assert decide(in_use, *printer).triage.rule == "personal_computing"


def test_the_schedule_retrains_only_when_agents_taught_something_new(in_use, hosting_customer,
                                                                    agent_user, monkeypatch):
    calls = []
    monkeypatch.setattr("xuala.triage.services.model_retrain",
                        lambda **kw: calls.append(kw) or TriageTraining.objects.create(
                            trained_at=kw["now"], examples=1, held_back=0, adopted=True))
    assert retrain_step(now=NOON) == 0  # nothing taught yet
    ticket = open_(hosting_customer, *ZUVEX[1])
    event_record(ticket=ticket, key="triage.changed", actor=agent_user, rule="third_party")
    later = datetime(2026, 11, 30, 12, 0, tzinfo=MADRID)
    assert retrain_step(now=later) == 1
    assert retrain_step(now=later) == 0  # trained less than a day ago
    assert len(calls) == 1


@pytest.fixture
def model_on(settings, tmp_path, monkeypatch):
    """The shipped policy (the learned triage on by default) and the packaged model in use."""
    from tests.policy.copies import policy_copy

    monkeypatch.delenv(triage_model.MODEL_ENV, raising=False)
    settings.DATA_DIR = tmp_path
    return policy_copy(tmp_path, settings)


HOLDED = ("Holded", "No me cuadran las facturas que exporta Holded, ¿me ayudáis con su panel?")


def test_with_the_model_on_a_sure_decision_on_free_text_is_applied_at_once(
        model_on, hosting_customer):
    ticket = open_(hosting_customer, *HOLDED)
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "third_party", "refused", "6")
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.status == "resolved"  # the §6 answer went out without an agent
    applied = ticket.events.get(key="triage.applied").data
    assert applied["probability"] >= 0.5 and applied["threshold"] == 0.5
    assert "holded" in applied["reasons"]  # the words that weighed most, kept with it


def test_with_the_model_off_the_keyword_rules_decide_as_before(keyword_rules, hosting_customer):
    ticket = open_(hosting_customer, *HOLDED)
    assert ticket.triage_rule != "third_party"  # no listed keyword names Holded
    assert "probability" not in ticket.events.get(key__startswith="triage.").data


def test_with_the_model_on_an_unsure_decision_waits_for_an_agent(model_on, hosting_customer):
    model_on.write_text(model_on.read_text("utf-8").replace("threshold = 0.5",
                                                            "threshold = 0.999"), "utf-8")
    ticket = open_(hosting_customer, *HOLDED)
    assert ticket.triage_state == TriageState.PROPOSED
    assert ticket.ticket_class == "standard" and ticket.status == "new"
    proposed = ticket.events.get(key="triage.proposed").data
    assert proposed["rule"] == "third_party" and proposed["probability"] < 0.999
