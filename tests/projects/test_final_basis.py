"""How a final grade was reached is stored as facts (revision 0019 converts the sentences stored before)."""
from flask import current_app, render_template_string
from flask_babel import force_locale

from lms.extensions import db
from lms.projects.models import Project

OLD_SENTENCES = {
    "single examiner": {"rule": "single"},
    "mean of the two examiners' grades (76 and 74.4; difference 1.6 ≤ 15, same pass/fail)":
        {"rule": "mean", "totals": [76.0, 74.4], "limit": 15.0},
    "third examiner: mean of the two closest grades (90 and 80; all three: 90, 40, 80)":
        {"rule": "third", "closest": [90.0, 80.0], "totals": [90.0, 40.0, 80.0]},
}


def test_the_old_sentences_become_facts_and_back(app, final_reason_migration):
    conn = db.session.connection()
    for sentence, basis in OLD_SENTENCES.items():
        assert final_reason_migration.basis_from_sentence(conn, 1, sentence) == basis
        assert final_reason_migration.sentence_from_basis(conn, basis) == sentence


def test_an_unknown_sentence_is_kept_as_a_legacy_note(app, final_reason_migration):
    conn = db.session.connection()
    for text in ("decided by the board", "agreed by Li Hua after reconciliation: no agreed grade on record"):
        basis = final_reason_migration.basis_from_sentence(conn, 999_999, text)
        assert basis == {"rule": "legacy", "text": text}
        assert final_reason_migration.sentence_from_basis(conn, basis) == text


def _told(basis, lang):
    with current_app.test_request_context(), force_locale(lang):
        return render_template_string('{% from "projects/_macros.html" import final_basis %}{{ final_basis(p) }}',
                                      p=Project(final_basis=basis))


def test_each_basis_is_told_in_the_readers_language(app):
    assert _told(OLD_SENTENCES["third examiner: mean of the two closest grades (90 and 80; all three: 90, 40, 80)"],
                 "zh_Hans") == "第三考官：取最接近的两个评分的平均值（90 分和 80 分；三个评分：90、40、80）"
    assert _told({"rule": "single"}, "zh_Hans") == "由一位考官评分"
    assert _told({"rule": "single"}, "en") == "single examiner"
    # a legacy note is shown as it was stored, escaped
    assert _told({"rule": "legacy", "text": "by the <b>board</b>"}, "zh_Hans") == "by the &lt;b&gt;board&lt;/b&gt;"
    assert _told(None, "en") == ""
