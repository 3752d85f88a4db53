"""Question files the assessment tests share: a GIFT file as Moodle exports it, a small bank."""

MOODLE_LIKE = r"""// essay
::E1:: Describe how you would triage an invention disclosure. {}

// question: 2  name: Roles
::Roles::[html]Match the <b>actor</b> to its role.{
    =[html]Transfers results out of a university. -> TTO
    =[moodle]Provides venture capital. -> Investor
    =[plain]Registers technology contracts. -> Registration office
    =[markdown]Runs the national programme. -> Torch Centre
    = -> Patent court
}

// multiple choice with feedback for right and wrong answers
::MC1:: Which route turns a patent into shares?
{
    =Capital contribution (作价投资) # right; shares in exchange for the IP
    ~Licence # [html]wrong, a licence grants use
    ~[plain]Assignment # wrong, that is a sale
}

// multiple response with negative weights
::MR1:: Which are patentability requirements?
{
    ~%50%Novelty # yes
    ~%-100%Beauty # [html]no
    ~%50%Inventive step # yes
    ~%-100%[plain]Popularity # no
}

// numerical range with feedback for any other answer, followed by text (missing-word form)
::N1:: Pick a TRL from 3 to 5. {#4:1~#Outside the range}";

// question: 666  name: Shortanswer
::SA1::Which body runs the Torch programme?{
    =Torch Centre#Good!
    =%50%MOST#Its parent ministry at the time.
    =%0%*#No
}

// true/false with general feedback
::TF1:: A licence transfers ownership of the patent.{
FALSE#A licence grants permission to use; ownership stays.#Right: ownership does not move.
####Compare assignment (转让) with licence (许可).}

::TF2::The Civil Code regulates technology contracts.{T}

::TF3::The Civil Code regulates technology contracts.{TRUE}
"""


SRC = """$CATEGORY: $course$/top/TTM/D1/D1.1

// [id:T-001] [tag:level-F] [tag:difficulty-2]
::Routes::Which route turns a patent into shares? {
=Capital contribution (作价投资)#Right.
~Licence#A licence grants use.
####Article 16 lists the routes.}

// [id:T-002] [tag:level-P]
::Reward::Minimum share of net licence income for the team under the default rule (%)? {#50:0}

$CATEGORY: $course$/top/Misc

// [id:T-003]
::Essay::Describe a conflict of interest you managed. {}
"""
