"""Examples to start a new question from, one per kind of question, in Moodle's GIFT format and in the reader's
language. Each shows the kind's syntax (feedback per answer, weights, tolerance, distractors, general feedback)
on a small question of the field; a test parses every one, in both languages, and checks its type."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# key: (the label of the choice, the question type the example parses to)
KINDS: dict[str, tuple[object, str]] = {
    "single": (_l("Single choice"), "multichoice"),
    "multiple": (_l("Multiple response"), "multichoice"),
    "truefalse": (_l("True/false"), "truefalse"),
    "shortanswer": (_l("Short answer"), "shortanswer"),
    "numerical": (_l("Numerical"), "numerical"),
    "match": (_l("Matching"), "match"),
    "essay": (_l("Essay"), "essay"),
    "description": (_l("Description"), "description"),
}


# the example of each kind (single choice first, the one given for an unknown kind), translated when asked for
EXAMPLES: dict[str, object] = {
    "single": _l("""// The right answer starts with =, the wrong ones with ~; # adds feedback to an answer.
// [id:NEW-SC-1] [tag:level-F]
::TRL::What does TRL stand for? {
=Technology readiness level # Right.
~Technology research licence # No: TRL is a scale of maturity, not a licence.
~Transfer rate limit # No.
####TRL rates a technology's maturity from 1 (basic principles) to 9 (proven in operation).
}"""),
    "multiple": _l("""// [id:] gives the question an id of your choice; [tag:level-F] marks the level it evidences.
// Weights: the right answers add up to 100%; a wrong choice takes marks away.
// [id:NEW-MR-1] [tag:level-F]
::Forms of IP::Which of these are forms of intellectual property? Choose all that apply. {
~%50%A patent # Right: a patent is a registered IP right.
~%50%A trade secret # Right: a trade secret is protected as long as it is kept secret.
~%-100%A research grant # No: a grant funds research; it is not a right over its results.
####Patents and trade secrets are intellectual property; a grant only pays for the research.
}"""),
    "truefalse": _l("""// The first feedback is shown for a wrong answer, the second for a right one.
// [id:NEW-TF-1] [tag:level-F]
::Novelty::In most countries, an invention disclosed in public before a patent application is filed can no longer be patented, because it is no longer new. {TRUE
#Look again: most countries require absolute novelty, with few or no grace periods.
#Right: file first, then publish.}"""),
    "shortanswer": _l("""// Several accepted answers; * stands for any characters; case does not matter.
// [id:NEW-SA-1] [tag:level-F]
::TRL::What is the scale, first used by NASA, that rates how mature a technology is called? (Its abbreviation is accepted.) {
=TRL
=technology readiness level*
}"""),
    "numerical": _l("""// A value with its tolerance (value:tolerance) or a range (min..max); %50% gives half marks.
// [id:NEW-NU-1] [tag:level-F]
::Bayh-Dole::In which year did the United States pass the Bayh-Dole Act, which let universities keep title to inventions made with federal funding? {#
=1980:0 # Right: the act was signed in December 1980.
=%50%1980:2 # Close: it was 1980.
}"""),
    "match": _l("""// Pairs written "item -> match"; a pair with no item ("= -> ...") is a distractor.
// [id:NEW-MT-1] [tag:level-F]
::Agreements::Match each agreement with what it gives. {
=Licence -> permission to use the technology
=Assignment -> ownership of the technology
=Option -> time to decide whether to take a licence
= -> a share of the company
}"""),
    "essay": _l("""// An essay is graded by a person, who sees the general feedback (after ####) as guidance; trainees see it
// after the attempt, as the exam allows. A rubric is attached in the essay rubrics.
// [id:NEW-ES-1] [tag:level-P]
::Market::A university team has a new battery chemistry at TRL 4. Describe how you would assess its market before looking for a licensee. {
####A good answer names the first customers and their need, the alternatives they use today, the size of the market and how it is reached, and the evidence each claim rests on.
}"""),
    "description": _l("""// A description has no answer and no grade: use it to introduce a case that the next questions share.
// [id:NEW-DE-1]
::Case::Read the case: a research institute has a patented sensor at TRL 5 and two companies interested in it."""),
}


def starter(kind: str) -> str:
    """The example for a kind of question (single choice when the kind is unknown)."""
    return str(EXAMPLES.get(kind, EXAMPLES["single"]))
