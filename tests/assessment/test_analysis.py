"""Item analysis checked against a small case computed by hand:

    person  q1 q2 q3  total
    S1       1  1  1   3
    S2       1  1  0   2
    S3       1  0  0   1
    S4       0  0  0   0
    S5       1  1  1   3

facility q1 = 80%, q2 = 60%, q3 = 40%
KR-20 = 3/2 × (1 − (0.16 + 0.24 + 0.24) / 1.36) = 0.7941
discrimination q3 = corr(q3, rest) = 1.2 / √(1.2 × 3.2) = 0.6124
mean percent = 60, SD (n − 1) of (100, 66.67, 33.33, 0, 100) = 43.46
"""
from types import SimpleNamespace as NS

from lms.assessment.analysis import analyse, to_csv

MATRIX = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 1, 1]]


def _attempts(matrix, flip_q=None, languages=None):
    """Attempts with these 0/1 scores; ``languages`` (one per attempt) puts them in the bank of that language,
    whose questions have other rows but the same ids."""
    def version(i, lang):
        return NS(spec={"qtype": "truefalse"}, name=f"Q{i + 1}", qtype="truefalse",
                  question=NS(idnumber=f"Q{i + 1}", public_id=f"pub-q{i + 1}-{lang}", bank_id=1,
                           bank=NS(slug=f"t-{lang}")))
    out = []
    for n, row in enumerate(matrix):
        lang = languages[n] if languages else "en"
        items = [NS(question_id=(i + 1) if lang == "en" else (i + 101), mark=1, fraction=float(v), response=bool(v),
                    version=version(i, lang)) for i, v in enumerate(row)]
        out.append(NS(id=n, items=items, percent=100 * sum(row) / 3))
    return out


def test_hand_computed_case():
    stats = analyse(_attempts(MATRIX))
    by = {s.idnumber: s for s in stats.items}
    assert (by["Q1"].facility, by["Q2"].facility, by["Q3"].facility) == (80.0, 60.0, 40.0)
    assert by["Q3"].discrimination == 61.24
    assert stats.alpha == 0.7941
    assert stats.mean == 60.0 and stats.sd == 43.46
    assert by["Q1"].options == [("True", 80.0), ("False", 20.0)]
    assert not any(s.flagged for s in stats.items)


def test_negative_discrimination_is_flagged_and_in_the_csv():
    # the strongest people get q3 wrong, the weakest right
    matrix = [[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 1], [1, 1, 0]]
    stats = analyse(_attempts(matrix))
    q3 = next(s for s in stats.items if s.idnumber == "Q3")
    assert q3.discrimination < 0 and q3.flagged
    csv_text = to_csv(stats)
    assert "Q3,Q3,truefalse,5,40.0," in csv_text and ",yes," in csv_text


def test_alpha_needs_the_same_questions_for_everyone():
    attempts = _attempts(MATRIX)
    attempts[0].items = attempts[0].items[:2]
    stats = analyse(attempts)
    assert stats.alpha is None and "same questions" in stats.alpha_reason


def test_a_cohort_sitting_in_both_languages_is_one_test_item_by_item():
    stats = analyse(_attempts(MATRIX, languages=["en", "zh", "zh", "en", "zh"]))
    by = {s.idnumber: s for s in stats.items}
    assert len(stats.items) == 3 and by["Q1"].n == 5               # a question and its translation are one item
    assert (by["Q1"].facility, by["Q2"].facility, by["Q3"].facility) == (80.0, 60.0, 40.0)
    assert stats.alpha == 0.7941 and by["Q3"].discrimination == 61.24     # the same figures as in one language


def test_option_shares_count_only_the_answers_whose_options_line_up_with_the_shown_version():
    from lms.assessment.analysis import _lines_up

    def mc(texts_and_marks, lang):
        spec = {"qtype": "multichoice", "answers": [{"text": t, "fraction": f} for t, f in texts_and_marks]}
        return NS(spec=spec, name="Route", qtype="multichoice",
                  question=NS(idnumber="R-1", public_id=f"pub-r-{lang}", bank_id=1, bank=NS(slug=f"t-{lang}")))
    en = mc([("Capital contribution", 1), ("Licence", 0)], "en")
    zh_same = mc([("作价入股", 1), ("许可", 0)], "zh")
    zh_reversed = mc([("许可", 0), ("作价入股", 1)], "zh")
    assert _lines_up(en.spec, zh_same.spec) and not _lines_up(en.spec, zh_reversed.spec)

    def attempt(n, version, choice):
        item = NS(question_id=1 if version is en else 2, mark=1, fraction=1.0 if version.spec["answers"][choice]["fraction"] else 0.0,
                  response=choice, version=version)
        return NS(id=n, items=[item], percent=100 * item.fraction)
    # two chose the right option in Chinese (position 1 of the reversed translation), one the wrong one in English
    stats = analyse([attempt(0, zh_reversed, 1), attempt(1, zh_reversed, 1), attempt(2, en, 1)])
    [item] = stats.items
    assert item.n == 3 and item.facility == 66.67
    assert item.options == [("Capital contribution", 0.0), ("Licence", 100.0)]      # the English answer only
    stats = analyse([attempt(0, zh_same, 0), attempt(1, en, 0)])
    assert stats.items[0].options == [("Capital contribution", 100.0), ("Licence", 0.0)]


def test_questions_without_an_id_are_items_each_on_their_own():
    attempts = _attempts(MATRIX, languages=["en", "zh", "zh", "en", "zh"])
    for a in attempts:
        for item in a.items:
            item.version = NS(**{**vars(item.version), "question": NS(**{**vars(item.version.question), "idnumber": None})})
    stats = analyse(attempts)
    assert len(stats.items) == 6 and stats.alpha is None           # nothing says which translation is which
