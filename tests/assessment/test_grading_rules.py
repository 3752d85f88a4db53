"""The grade that counts under each of the exam's rules (Moodle's "grading method")."""
import pytest

from lms.assessment.grading import final_grade
from lms.assessment.models import Attempt


def _attempts(*rows):
    return [Attempt(number=n, state=state, percent=pct) for n, state, pct in rows]


@pytest.mark.parametrize("method, expected", [("highest", 90), ("average", 70), ("first", 50), ("last", 90)])
def test_each_rule_over_graded_attempts_in_any_order(method, expected):
    attempts = _attempts((3, "graded", 90), (1, "graded", 50), (2, "graded", 70))     # as a query without ORDER BY may
    assert final_grade(attempts, method) == expected


def test_first_and_last_wait_for_their_own_attempt_rather_than_taking_another():
    # attempt 1 waits for an essay's grade, attempt 2 is graded: the first attempt has no grade yet
    pending_first = _attempts((1, "submitted", None), (2, "graded", 95))
    assert final_grade(pending_first, "first") is None
    assert final_grade(pending_first, "last") == 95
    assert final_grade(pending_first, "highest") == 95
    pending_last = _attempts((1, "graded", 40), (2, "submitted", None))
    assert final_grade(pending_last, "last") is None
    assert final_grade(pending_last, "first") == 40
    assert final_grade(pending_last, "average") == 40


def test_attempts_in_progress_or_drawn_ahead_do_not_count():
    attempts = _attempts((1, "graded", 60), (2, "open", None), (3, "prepared", None))
    assert [final_grade(attempts, m) for m in ("first", "last", "highest", "average")] == [60, 60, 60, 60]
    assert final_grade(_attempts((1, "open", None)), "last") is None
    assert final_grade([], "highest") is None
