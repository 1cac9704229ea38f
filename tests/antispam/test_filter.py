"""The learned model: its features, the shipped global model and a site's own learning."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from xuala.antispam import filter as antispam_filter
from xuala.antispam.filter import Item, SiteDelta, global_model, row_of, vectorize
from xuala.antispam.rules import SiteContext
from xuala.antispam.training import CORPUS_PATH, read_labelled
from xuala.antispam.verdict import learn, verdict

BENCH_SET = Path(__file__).resolve().parents[2] / "bench" / "data" / "antispam_bench.jsonl"
# The held-out set is written apart from the training corpus (other templates and words);
# the model alone reaches about 0.96 on it and the rules add to that. The floor leaves room
# for retraining noise, not for a filter that stopped working.
HELD_OUT_F1_FLOOR = 0.93

SPAM_URL = "http://vuelos-baratos.example.xyz/"
SEO_SPAM = Item(content=f"Great post! Visit my page about cheap flights: {SPAM_URL}",
                author="cheap flights", email="xk29@mail.example.ru", url=SPAM_URL)
NEIGHBOUR_NEWS = Item(
    content="El ayuntamiento corta la calle Mayor el sábado por las fiestas del barrio",
    author="Pilar Gómez", email="pilar.gomez@gmail.com")


def test_the_fast_row_equals_the_hashing_vectorizer():
    for labelled in read_labelled(CORPUS_PATH)[:200]:
        expected = vectorize([labelled.item])[0]
        row = row_of(labelled.item)
        assert np.array_equal(row.indices, expected.indices)
        assert np.allclose(row.data, expected.data)


def test_features_fold_accents_and_case():
    assert set(antispam_filter.tokens(Item(content="Envío RÁPIDO"))) >= {"w:envio", "w:rapido"}


def test_features_name_link_domains_and_the_mail_domain():
    found = antispam_filter.tokens(Item(content="ver https://www.tienda.example.co.uk/x",
                                        email="a@mailinator.com"))
    assert {"dom:example.co.uk", "tld:uk", "edom:mailinator.com", "nlinks:1"} <= set(found)


def test_the_shipped_model_loads_and_tells_spam_from_a_visitor():
    model = global_model()
    assert model.meta["items"] >= 1000
    assert model.score(SEO_SPAM) > 0
    assert model.score(Item(content="Muchas gracias por la receta, a mis hijos les encantó",
                            author="Lucía", email="lucia.r@hotmail.es")) < 0


def _f1(rows, predictions):
    tp = sum(1 for row, spam in zip(rows, predictions, strict=True) if spam and row.spam)
    fp = sum(1 for row, spam in zip(rows, predictions, strict=True) if spam and not row.spam)
    fn = sum(1 for row, spam in zip(rows, predictions, strict=True) if not spam and row.spam)
    return 2 * tp / (2 * tp + fp + fn)


def test_the_verdict_reaches_the_f1_floor_on_the_held_out_set():
    rows = read_labelled(BENCH_SET)
    predictions = [verdict(row.item, SiteContext(languages=(row.lang,))).spam for row in rows]
    assert _f1(rows, predictions) >= HELD_OUT_F1_FLOOR


def test_a_report_of_spam_turns_the_sites_next_verdict_at_once():
    model = global_model()
    assert not verdict(NEIGHBOUR_NEWS, model=model).spam
    delta = learn(NEIGHBOUR_NEWS, spam=True, delta=SiteDelta())
    again = verdict(NEIGHBOUR_NEWS, model=model, delta=delta)
    assert again.spam
    assert again.reasons[0].detail.startswith("global and site model")


def test_a_report_of_ham_turns_a_false_positive_back():
    model = global_model()
    assert verdict(SEO_SPAM, model=model).spam
    delta = learn(SEO_SPAM, spam=False, delta=SiteDelta())
    assert not verdict(SEO_SPAM, model=model, delta=delta).spam


def test_one_sites_report_leaves_the_global_model_unchanged():
    model = global_model()
    before = model.score(NEIGHBOUR_NEWS)
    model.learn(NEIGHBOUR_NEWS, spam=True, delta=SiteDelta())
    assert model.score(NEIGHBOUR_NEWS) == pytest.approx(before)


def test_a_site_delta_is_sparse_and_survives_storage():
    model = global_model()
    delta = model.learn(SEO_SPAM, spam=False, delta=SiteDelta())
    assert 0 < len(delta.indices) <= len(row_of(SEO_SPAM).indices)
    stored = SiteDelta.loads(delta.dumps())
    assert model.score(SEO_SPAM, stored) == pytest.approx(model.score(SEO_SPAM, delta), abs=1e-4)


def test_feedback_builds_on_the_sites_earlier_feedback():
    model = global_model()
    first = learn(SEO_SPAM, spam=False, delta=SiteDelta())
    second = learn(NEIGHBOUR_NEWS, spam=True, delta=first)
    assert not verdict(SEO_SPAM, model=model, delta=second).spam
    assert verdict(NEIGHBOUR_NEWS, model=model, delta=second).spam


def test_training_writes_a_model_that_loads(tmp_path):
    corpus = tmp_path / "small.jsonl"
    lines = CORPUS_PATH.read_text(encoding="utf-8").splitlines()[:300]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from xuala.antispam.training import build_global_model

    built = build_global_model(corpus=corpus, out=tmp_path / "model.npz")
    loaded = antispam_filter.Model.load(tmp_path / "model.npz")
    assert loaded.meta["items"] == 300
    assert loaded.score(SEO_SPAM) == pytest.approx(built.score(SEO_SPAM), abs=1e-4)


def test_a_model_file_of_other_features_is_refused(tmp_path):
    global_model().save(tmp_path / "model.npz")
    data = dict(np.load(tmp_path / "model.npz"))
    data["meta"] = np.array([json.dumps({"features_version": 0})])
    np.savez(tmp_path / "old.npz", **data)
    with pytest.raises(ValueError, match="antispam train"):
        antispam_filter.Model.load(tmp_path / "old.npz")


def test_a_filled_honeypot_makes_the_verdict_certain_spam():
    item = Item(content="Hola, quería pedir cita para el martes",
                extra={"honeypot_field_name": "hp", "hp": "http://x.example"})
    decided = verdict(item)
    assert decided.spam and decided.certain
    assert [reason.code for reason in decided.reasons] == ["model", "honeypot"]


def test_an_ordinary_visitor_gets_ham_with_only_the_models_reason():
    decided = verdict(NEIGHBOUR_NEWS)
    assert not decided.spam and not decided.certain and decided.score < 0.5
    assert decided.as_dict()["reasons"][0]["code"] == "model"


def test_the_models_reason_names_its_most_telling_features():
    decided = verdict(Item(content="Best online casino bonus, free spins http://x.example.top",
                           author="casino"))
    detail = decided.reasons[0].detail
    assert decided.reasons[0].weight > 0
    assert detail.startswith("global model; most telling: ") and "w:casino" in detail


def test_the_shipped_model_is_what_train_builds_from_the_shipped_corpus(tmp_path):
    """Features, corpus and model file move together: change one, run `xuala antispam train`."""
    from django.core.management import call_command

    call_command("antispam", "train", "--out", str(tmp_path / "model.npz"), stdout=io.StringIO())
    built = antispam_filter.Model.load(tmp_path / "model.npz")
    shipped = antispam_filter.Model.load()
    assert np.allclose(built.coef, shipped.coef, atol=1e-5)
    assert built.intercept == pytest.approx(shipped.intercept, abs=1e-5)
