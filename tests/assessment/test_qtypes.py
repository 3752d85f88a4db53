from decimal import Decimal

from lms.assessment import qtypes
from lms.assessment.gift import parse_gift
from lms.extensions import db


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


def test_every_type_has_its_template_and_a_place_in_the_gift_order(app):
    """A type owns its part of each page: its template defines the macros the pages call."""
    assert set(qtypes.GIFT_ORDER) == set(qtypes.REGISTRY.values())
    with app.app_context():
        for qtype in qtypes.REGISTRY.values():
            module = app.jinja_env.get_template(qtype.template).module
            for macro in ("field", "preview", "response", "feedback", "key"):
                assert callable(getattr(module, macro, None)), (qtype.name, macro)


def test_the_registry_tells_types_by_gift_answer_block_and_xml_name():
    assert [qtypes.gift_type(a).name for a in (None, "", "#4:1", "=a ~b", "=a -> b =c -> d", "T", "=x")] == [
        "description", "essay", "numerical", "multichoice", "match", "truefalse", "shortanswer"]
    assert qtypes.by_xml_name("matching").name == "match" and qtypes.by_xml_name("cloze") is None
    assert set(qtypes.names(graded=False)) == {"description"}
    assert set(qtypes.names(auto_graded=True)) == {"multichoice", "truefalse", "shortanswer", "numerical", "match"}


def test_the_attempt_page_tells_the_autosave_script_each_answer_s_shape(client, quiz):
    """The page's script reads each answer in the shape its type's template declares."""
    from tests.factories import login
    from tests.factories.exams import _start
    quiz.sections[0].draw, quiz.sections[0].idnumbers = None, ["X-1", "X-2", "X-3", "X-4", "X-5"]
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    html = client.get(f"/attempts/{att.public_id}").get_data(as_text=True)
    shapes = {i.version.spec["qtype"]: i.position for i in att.items}
    for qtype, shape in {"multichoice": "choice", "truefalse": "choice", "numerical": "text", "match": "pairs",
                         "shortanswer": "text", "essay": "text"}.items():
        fieldset = html[html.index(f'id="q{shapes[qtype]}"'):]
        fieldset = fieldset[:fieldset.index("</fieldset>")]
        assert f'data-response="{shape}"' in fieldset, qtype


def test_the_review_shows_each_type_s_answer_feedback_and_right_answer(client, quiz):
    from tests.factories import login
    from tests.factories.exams import _start
    quiz.sections[0].draw, quiz.sections[0].idnumbers = None, ["X-1", "X-2", "X-3", "X-4", "X-5"]
    db.session.commit()
    login(client, "trainee@example.com")
    att = _start(client, quiz)
    given = {"multichoice": "1", "truefalse": "true", "numerical": "49", "match": {"0": "use", "1": "shares"},
             "shortanswer": "torch", "essay": "I declared it and stepped aside."}
    for item in att.items:
        client.post(f"/attempts/{att.public_id}/answer",
                    json={"position": item.position, "response": given[item.version.spec["qtype"]]})
    client.post(f"/attempts/{att.public_id}/submit")
    html = " ".join(client.get(f"/attempts/{att.public_id}/review").get_data(as_text=True).split())

    def section(qtype):
        pos = next(i.position for i in att.items if i.version.spec["qtype"] == qtype)
        part = html[html.index(f'id="q{pos}"'):]
        return part[:part.index("</section>")]

    mc, tf, num, match, sa, essay = (section(t) for t in ("multichoice", "truefalse", "numerical", "match",
                                                           "shortanswer", "essay"))
    assert "Your answer:</strong> Licence" in mc and "SECRET-WRONG-FEEDBACK" in mc
    assert "SECRET-RIGHT-FEEDBACK" not in mc and "Right answer:</strong> Capital contribution" in mc
    assert "Your answer:</strong> True" in tf and "SECRET-TF-WRONG" in tf and "SECRET-TF-RIGHT" not in tf
    assert "Right answer:</strong> False" in tf
    assert "Your answer:</strong> 49" in num and "Right answer:</strong> 50" in num
    assert "Licence → use; Assignment → shares" in match and "Right answer:</strong> Licence → use; Assignment → ownership" in match
    assert "Your answer:</strong> torch" in sa and "Right answer:</strong> Torch Centre" in sa
    assert "I declared it and stepped aside." in essay and "Right answer" not in essay
