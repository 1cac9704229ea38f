"""A served process's checks: state from memory, verdict rows written in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError

from xuala.antispam import journal, live, selectors
from xuala.antispam.filter import Item
from xuala.antispam.models import Block, BlockKind, Check
from xuala.antispam.services import antispam_check, antispam_key_revoke, antispam_report

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
VISITOR = Item(content="Hola, ¿abrís el sábado por la mañana?", user_ip="198.51.100.7")
FROM_BLOCKED = Item(content="Hola, ¿abrís el sábado por la mañana?", user_ip="203.0.113.9")


@pytest.fixture
def served(monkeypatch):
    """This process serves requests, with the background thread left to the test."""
    monkeypatch.setattr(live, "_ensure_thread", lambda: None)
    live.serve()
    yield live.STATE
    live._serving.clear()


def test_a_served_check_answers_first_and_its_row_is_written_by_the_flush(plan_site, served):
    check, _ = antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    assert not Check.objects.exists()
    assert served.flush() == 1
    assert Check.objects.get().guid == check.guid


def test_rows_whose_write_fails_wait_for_the_next_flush(plan_site, served, monkeypatch):
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)

    def broken(*args, **kwargs):
        raise DatabaseError("database away")

    with monkeypatch.context() as patch:
        patch.setattr(live, "insert_checks", broken)
        assert served.flush() == 0
    assert len(_segments()) == 1  # the journal keeps the row meanwhile
    assert served.flush() == 1
    assert Check.objects.count() == 1
    assert _segments() == []


def _segments() -> list:
    folder = live.journal_folder()
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def test_a_served_check_is_journalled_before_it_is_answered(plan_site, served):
    check, _ = antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    [segment] = _segments()
    row = journal.decode(segment.read_bytes())
    assert (row["guid"], row["at"], row["user_ip"]) == (check.guid, AT, "198.51.100.7")
    assert live.recover_journals() == 0  # this process holds its segment: not an orphan


def test_the_rows_of_a_dead_process_are_recovered_once(plan_site, served, tmp_path):
    check, _ = antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    stored, _ = antispam_check(site=plan_site, item=FROM_BLOCKED, languages=("es",), now=AT)
    [segment] = _segments()
    orphan = segment.with_name("otherhost-4242-1.jsonl")  # a segment nobody holds
    orphan.write_bytes(segment.read_bytes() + b'["2026-03-02T10:0')  # and a torn last line
    live.STATE.pending = [row for row in live.STATE.pending if row.guid == stored.guid]
    live.STATE.flush()
    assert live.recover_journals() == 1
    assert not orphan.exists()
    recovered = Check.objects.get(guid=check.guid)
    assert (recovered.at, recovered.reasons, recovered.site) == (AT, check.reasons, plan_site)
    assert Check.objects.count() == 2


def test_a_block_stored_by_another_process_counts_after_the_refresh(plan_site, served):
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)  # first load
    Block.objects.create(kind=BlockKind.IP, value="203.0.113.9", site=plan_site,
                         expires_at=AT + timedelta(days=30))
    before, _ = antispam_check(site=plan_site, item=FROM_BLOCKED, languages=("es",), now=AT)
    served.refresh(now=AT)
    after, _ = antispam_check(site=plan_site, item=FROM_BLOCKED, languages=("es",), now=AT)
    assert "spam_ip" not in {r["code"] for r in before.reasons}
    assert "spam_ip" in {r["code"] for r in after.reasons}


def test_a_report_in_this_process_counts_at_once(plan_site, served):
    antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    antispam_report(site=plan_site, item=FROM_BLOCKED, spam=True, now=AT)
    check, _ = antispam_check(site=plan_site, item=FROM_BLOCKED, languages=("es",),
                              now=AT + timedelta(minutes=1))
    assert "spam_ip" in {r["code"] for r in check.reasons}


def test_a_block_past_its_expiry_no_longer_counts_from_memory(plan_site, served):
    Block.objects.create(kind=BlockKind.IP, value="203.0.113.9", site=plan_site,
                         expires_at=AT + timedelta(days=1))
    check, _ = antispam_check(site=plan_site, item=FROM_BLOCKED, languages=("es",),
                              now=AT + timedelta(days=1, seconds=1))
    assert "spam_ip" not in {r["code"] for r in check.reasons}


def test_a_key_revoked_elsewhere_is_refused_after_the_key_refresh(plan_site, plan_key):
    assert selectors.key_for_secret(secret=plan_key, on=AT).problem == ""
    key = plan_site.antispam_keys.get()
    antispam_key_revoke(key=key, at=AT)
    selectors._KEYS[key.key_hash] = (float("inf"), selectors.KeyCheck(key, ""))  # still held
    selectors.refresh_keys(on=AT)
    assert selectors.key_for_secret(secret=plan_key, on=AT).problem == "key_revoked"


def test_a_journal_that_cannot_be_written_does_not_stop_the_answer(plan_site, served, settings,
                                                                   tmp_path):
    (tmp_path / "not-a-folder").write_text("")
    settings.DATA_DIR = tmp_path / "not-a-folder"  # the journal's folder cannot be made
    live.STATE.reset()
    check, _ = antispam_check(site=plan_site, item=VISITOR, languages=("es",), now=AT)
    assert served.flush() == 1
    assert Check.objects.get().guid == check.guid
