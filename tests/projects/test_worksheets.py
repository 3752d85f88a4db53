"""The technology-rating and TRL worksheets' arithmetic and scales (issue 19)."""
import itertools

from lms.projects import worksheets


def _score(ratings: dict[str, str]) -> float:
    return worksheets.weighted_score(worksheets.default_weights(), ratings)


def test_the_score_runs_from_0_for_all_e_to_100_for_all_a():
    keys = [i.key for i in worksheets.INDICATORS]
    assert _score(dict.fromkeys(keys, "E")) == 0 and worksheets.letter_grade(0) == "D"
    assert _score(dict.fromkeys(keys, "C")) == 50
    assert _score(dict.fromkeys(keys, "A")) == 100 and worksheets.letter_grade(100) == "AAA"


def test_every_grade_band_can_be_reached_with_the_default_weights():
    keys = [i.key for i in worksheets.INDICATORS]
    reached = set()
    # every indicator at one of two neighbouring points, the higher one on a growing share of the indicators
    for low, high in itertools.pairwise("EDCBA"):
        for n in range(len(keys) + 1):
            ratings = {k: (high if i < n else low) for i, k in enumerate(keys)}
            reached.add(worksheets.letter_grade(_score(ratings)))
    assert reached == {grade for _cut, grade in worksheets.GRADES}


def test_weights_a_hair_off_1_still_give_0_and_100():
    weights = worksheets.default_weights()
    weights["t1"] -= 0.0009
    keys = [i.key for i in worksheets.INDICATORS]
    assert worksheets.weighted_score(weights, dict.fromkeys(keys, "E")) == 0
    assert worksheets.weighted_score(weights, dict.fromkeys(keys, "A")) == 100


def test_three_scales_of_nine_levels_and_older_sheets_read_as_eu():
    assert set(worksheets.TRL_SCALES) == {"eu", "nasa", "gbt22900"}
    assert all(sorted(levels) == list(range(1, 10)) for _name, levels in worksheets.TRL_SCALES.values())
    assert worksheets.scale_of(None)[1] is worksheets.TRL_EU
    assert "[provisional]" in str(worksheets.TRL_SCALES["gbt22900"][0])
