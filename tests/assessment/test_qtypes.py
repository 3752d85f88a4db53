from decimal import Decimal

from lms.assessment import qtypes
from lms.assessment.gift import parse_gift


def spec(src):
    result = parse_gift(src)
    assert result.errors == []
    return result.questions[0]


def test_registry_has_every_type():
    assert set(qtypes.REGISTRY) == {"multichoice", "truefalse", "shortanswer", "numerical", "match", "essay",
                                    "description"}


def test_multichoice_single_and_weighted_multiple():
    q = spec("Q {=a ~b ~%50%c}")
    g = qtypes.get("multichoice").grade
    assert g(q, 0) == 1 and g(q, 1) == 0 and g(q, 2) == Decimal("0.5") and g(q, None) == 0
    m = spec("Q {~%50%a ~%50%b ~%-100%c}")
    assert g(m, [0, 1]) == 1 and g(m, [0]) == Decimal("0.5") and g(m, [0, 1, 2]) == 0 and g(m, [2]) == 0


def test_truefalse_shortanswer_numerical_match():
    assert qtypes.get("truefalse").grade(spec("Q {F}"), "false") == 1
    sa = spec("Q {=Torch Centre =%50%MOST* =%0%*}")
    g = qtypes.get("shortanswer").grade
    assert g(sa, "  torch   CENTRE ") == 1 and g(sa, "MOST of China") == Decimal("0.5") and g(sa, "x") == 0
    num = spec("Q {#=1822:0 =%50%1822:2 ~#no}")
    g = qtypes.get("numerical").grade
    assert g(num, "1822") == 1 and g(num, "1823.5") == Decimal("0.5") and g(num, "1900") == 0 and g(num, "abc") == 0
    mt = spec("Q {=A -> 1 =B -> 2 = -> 3}")
    assert qtypes.get("match").grade(mt, {"0": "1", "1": "3"}) == Decimal("0.5")
    assert qtypes.get("essay").grade(spec("Q {}"), "text") is None
