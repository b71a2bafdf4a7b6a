"""The audit log's summaries: kept in English, and as a msgid with values for other languages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callmp import audit
from callmp.models import AuditEntry


def test_a_summary_reads_in_english_with_lists_joined_and_the_english_of_pairs() -> None:
    summary = audit.Summary(
        "version %(number)s: %(fields)s (%(office)s)",
        {"number": 3, "fields": ["goal", "title_fr"], "office_en": "Hill", "office_fr": "Colline"},
    )
    assert summary.english() == "version 3: goal, title_fr (Hill)"
    assert audit.Summary("back to draft").english() == "back to draft"


def test_recording_a_summary_keeps_its_msgid_and_values(db_session: Session) -> None:
    summary = audit.Summary("published (was %(was)s)", {"was": "draft"})
    entry = audit.record(db_session, None, "campaign.publish", summary)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(AuditEntry, entry.id)
    assert stored is not None
    assert (stored.summary, stored.message) == ("published (was draft)", "published (was %(was)s)")
    assert stored.params == {"was": "draft"}
    assert stored.user_label == "command line"


def test_a_plain_sentence_is_kept_as_written_without_a_msgid(db_session: Session) -> None:
    entry = audit.record(db_session, None, "campaign.update", "edited by a script")
    assert (entry.summary, entry.message, entry.params) == ("edited by a script", "", None)
