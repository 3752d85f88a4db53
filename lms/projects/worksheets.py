"""The technology-rating worksheet (after the idea of KOTEC's KTRS) and the TRL worksheet (a choice of scale).

KTRS rates indicators A–E in four modules (technology, marketability, business prospects,
management) and combines them with AHP weights into a technology-business score; it then adds a separate
risk score (the firm's commercialisation risk and external variables) and turns the two into a rating from
AAA to D that is "directly related to the probability of default" — a credit grade for lenders and
guarantors. This worksheet does only the first half: it is a **technology** rating, with no risk score, so its
grade says how strong the technology and its business case are, not how likely a borrower is to default.
KOTEC's indicator list, weights and grade cut-offs are not public: the indicators, default weights, points and
grade bands below are this centre's proposal and are shown to users as provisional.

The score runs from 0 (every indicator E) to 100 (every indicator A), so each of the ten grade bands can be
reached; the grade letters follow KTRS's ten-step AAA–D ladder but mean technology strength only.

TRL scales: the EU Horizon 2020 General Annex G wording and NASA's wording are sourced (domain reference §5).
GB/T 22900—2022 replaced GB/T 22900-2009, whose informative Annex A had a technology-readiness scale; we have
not read the 2022 level wording, so that scale is offered with its levels marked to be checked against the text.
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
# score (0-100) cut-offs for the technology grade; provisional. The letters follow KTRS's ten steps, but this is a
# technology grade without KTRS's risk score, not a default-probability (credit) grade.
GRADES = ((90, "AAA"), (80, "AA"), (70, "A"), (60, "BBB"), (50, "BB"), (40, "B"), (30, "CCC"), (20, "CC"),
          (10, "C"), (0, "D"))

TRL_EU = {  # EU H2020 Work Programme 2014-15, General Annex G (reused in Horizon Europe)
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
TRL_NASA = {  # NASA's TRL definitions as reproduced by the National Academies (2008) and NAVAIR
    1: _l("Basic principles observed and reported"),
    2: _l("Technology concept and/or application formulated"),
    3: _l("Analytical and experimental critical function and/or characteristic proof of concept"),
    4: _l("Component and/or breadboard validation in laboratory environment"),
    5: _l("Component and/or breadboard validation in relevant environment"),
    6: _l("System/subsystem model or prototype demonstration in a relevant environment (ground or space)"),
    7: _l("System prototype demonstration in a space environment"),
    8: _l("Actual system completed and flight qualified through test and demonstration"),
    9: _l("Actual system flight proven through successful mission operations"),
}
GBT_UNCHECKED = _l("use the level definition in the standard's text (wording not verified here) [provisional]")
TRL_GBT = {n: GBT_UNCHECKED for n in range(1, 10)}

TRL_SCALES = {
    "eu": (_l("EU Horizon 2020 (General Annex G)"), TRL_EU),
    "nasa": (_l("NASA"), TRL_NASA),
    "gbt22900": (_l("GB/T 22900—2022 (level wording to be checked) [provisional]"), TRL_GBT),
}
DEFAULT_SCALE = "eu"
TRL_LEVELS = TRL_EU          # a worksheet saved before the scale could be chosen used the EU scale

# the gap-to-next-level plan: what has to be done, and shown, to reach the level above the one claimed
PLAN_FIELDS = (("activities", _l("Work to do (tests, prototypes, pilots, studies)")),
               ("evidence", _l("Evidence that will show the next level is reached")),
               ("resources", _l("Resources and partners needed (people, money, facilities)")),
               ("time", _l("Time needed and target date")))


def scale_of(key: str | None) -> tuple:
    """(name, levels) of a TRL scale by key; the EU scale for a worksheet saved before scales could be chosen."""
    return TRL_SCALES.get(key or DEFAULT_SCALE, TRL_SCALES[DEFAULT_SCALE])


def default_weights() -> dict[str, float]:
    return {i.key: i.default_weight for i in INDICATORS}


def weighted_score(weights: dict[str, float], ratings: dict[str, str]) -> float:
    """0-100: the weighted mean of the ratings' points (1 to 5) mapped linearly, so all-E is 0 and all-A is 100."""
    total = sum(weights[i.key] for i in INDICATORS)         # 1 within the form's tolerance; divided out exactly
    mean_points = sum(weights[i.key] * POINTS[ratings[i.key]] for i in INDICATORS) / total
    return round(min(max((mean_points - 1) / 4 * 100, 0.0), 100.0), 1)


def letter_grade(score: float) -> str:
    return next(g for cut, g in GRADES if score >= cut)
