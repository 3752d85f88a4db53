"""The technology-rating worksheet (after the idea of KOTEC's KTRS) and the TRL worksheet (EU H2020 scale).

KTRS rates indicators A–E in four modules (technology, marketability, business prospects,
management) and combines them with AHP weights into a technology-business score and a letter grade.
KOTEC's indicator list, weights and grade cut-offs are not public: the indicators, default weights,
points and grade bands below are this centre's proposal and are shown to users as provisional.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Indicator:
    key: str
    module: str
    label: object
    default_weight: float


MODULES = (("technology", _l("Technology")), ("marketability", _l("Marketability")),
           ("business", _l("Business prospects")), ("management", _l("Management")))

INDICATORS = (
    Indicator("t1", "technology", _l("Novelty and differentiation against the state of the art"), 0.10),
    Indicator("t2", "technology", _l("Maturity: development stage and the evidence behind it"), 0.10),
    Indicator("t3", "technology", _l("Strength of IP protection (scope, status, remaining term)"), 0.08),
    Indicator("t4", "technology", _l("Difficulty of imitation or substitution"), 0.07),
    Indicator("m1", "marketability", _l("Size and growth of the target market"), 0.10),
    Indicator("m2", "marketability", _l("Competitive position and barriers to entry"), 0.08),
    Indicator("m3", "marketability", _l("Customer demand validated (interviews, letters of intent, pilots)"), 0.07),
    Indicator("b1", "business", _l("Revenue model and expected profitability"), 0.10),
    Indicator("b2", "business", _l("Route to market and partners (licensee, investor, manufacturer)"), 0.08),
    Indicator("b3", "business", _l("Investment needed against expected return and time to market"), 0.07),
    Indicator("g1", "management", _l("Team: inventors' commitment and business experience"), 0.08),
    Indicator("g2", "management", _l("Organisation's capability, funding and governance"), 0.07),
)

POINTS = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}
RATING_LABELS = {"A": _l("A — very strong"), "B": _l("B — strong"), "C": _l("C — average"), "D": _l("D — weak"),
                 "E": _l("E — very weak")}
# score (0-100) cut-offs for the letter grade; provisional, after KTRS's AAA-D scale
GRADES = ((90, "AAA"), (80, "AA"), (70, "A"), (60, "BBB"), (50, "BB"), (40, "B"), (30, "CCC"), (20, "CC"),
          (10, "C"), (0, "D"))

TRL_LEVELS = {  # EU H2020 General Annex G
    1: _l("Basic principles observed"),
    2: _l("Technology concept formulated"),
    3: _l("Experimental proof of concept"),
    4: _l("Technology validated in lab"),
    5: _l("Technology validated in relevant environment"),
    6: _l("Technology demonstrated in relevant environment"),
    7: _l("System prototype demonstration in operational environment"),
    8: _l("System complete and qualified"),
    9: _l("Actual system proven in operational environment"),
}


def default_weights() -> dict[str, float]:
    return {i.key: i.default_weight for i in INDICATORS}


def weighted_score(weights: dict[str, float], ratings: dict[str, str]) -> float:
    """0-100: the weighted mean of the ratings' points, scaled so that all-A is 100 and all-E is 20."""
    total = sum(weights[i.key] * POINTS[ratings[i.key]] for i in INDICATORS)
    return round(total / 5 * 100, 1)


def letter_grade(score: float) -> str:
    return next(g for cut, g in GRADES if score >= cut)
