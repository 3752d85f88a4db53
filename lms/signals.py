"""The platform's extension points: named blinker signals, one place.

A feature never imports one to its right (accounts → frameworks → catalog → assessment → projects →
credentials → employers). When a feature on the left needs to learn something from one on its right, it
sends a signal defined here and the right-hand feature connects a receiver when the app starts (each
feature in one function, ``connect_signals``, called by ``create_app``). Connecting a module-level function
again (a second ``create_app`` in the tests) changes nothing.

Two kinds of signal:

- events, sent after something happened; receivers return nothing (a receiver that has slow or fallible
  work to do schedules a job after the commit, :func:`lms.jobs.after_commit`);
- queries, sent to collect answers: ``send`` returns ``[(receiver, answer), ...]`` in the order the
  receivers were connected, and the sender combines the answers.

Each signal's sender (the first argument) and keyword payload are documented with it.
"""
from __future__ import annotations

from blinker import NamedSignal, Namespace


class _OrderedSet(dict):
    """Receivers called in the order they were connected (blinker's documented ``set_class`` hook)."""

    def __init__(self, items=()):
        super().__init__((item, None) for item in items)

    def add(self, item) -> None:
        self[item] = None

    def discard(self, item) -> None:
        self.pop(item, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self)

    def __or__(self, other) -> _OrderedSet:
        return _OrderedSet([*self, *other])


class _OrderedSignal(NamedSignal):
    set_class = _OrderedSet


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = _OrderedSignal(name, doc)
        return self[name]


lms_signals = _Namespace()

# ---------------------------------------------------------------- events

progress_changed = lms_signals.signal("progress-changed", """A learner's results may have changed (a lesson
marked done or undone, a course's completion recomputed). Sender: the User. Sent by catalog. Received by
credentials, which schedules an eligibility check and issuance after the commit.""")

course_completed = lms_signals.signal("course-completed", """A learner completed a course (every lesson done,
every completion rule met). Sender: the Enrolment. Sent by catalog. No receiver today.""")

attempt_graded = lms_signals.signal("attempt-graded", """An exam attempt was submitted and marked (wholly,
or all but the answers people grade). Sender: the Attempt; payload ``user`` (User), ``course_id`` (int or
None for the diagnostic). Sent by assessment. Received by catalog, which recomputes the course's
completion.""")

project_released = lms_signals.signal("project-released", """A project's results were released. Sender: the
Project; payload ``user`` (the trainee). Sent by projects. Received by credentials (as progress_changed).""")

credential_issued = lms_signals.signal("credential-issued", """A credential was signed and stored. Sender: the
Credential. Sent by credentials, inside the issuing transaction. No receiver today.""")

# ---------------------------------------------------------------- queries

completion_rules = lms_signals.signal("completion-rules", """Is a feature's requirement for completing a course
met? Sender: the Course; payload ``user``. Answer: bool. Asked by catalog; answered by assessment (the
required exams are passed).""")

module_activities = lms_signals.signal("module-activities", """What activities a course's modules list. Sender:
the Course; payload ``user``. Answer: ``{module_key: [catalog.Activity, ...]}``. Asked by catalog;
answered by assessment (exams) and projects (briefs).""")

editor_links = lms_signals.signal("editor-links", """Links shown in a course's editor. Sender: the Course.
Answer: ``[(label, url), ...]``. Asked by catalog; answered by assessment and projects.""")

courses_teaching = lms_signals.signal("courses-teaching", """The visible courses that teach a competency.
Sender: the competency code (str). Answer: ``[Course, ...]``. Asked by frameworks; answered by catalog.""")

storage_usage = lms_signals.signal("storage-usage", """Bytes of one person's stored files in a feature.
Sender: the user id (int). Answer: int. Asked by projects.uploads (the quota); answered by projects
(deliverables) and credentials (CPD evidence).""")

framework_rubrics = lms_signals.signal("framework-rubrics", """The rubrics that assess a framework's competencies,
for its CASE export. Sender: the framework code (str). Answer: ``[{key, title, description, changed_at
(datetime), criteria: [{key, title, description, weight, position, competency (code), levels: [{key, quality,
description, score}]}]}]`` (English text; each of the three levels also ``zh``: the same texts in Chinese), in a
stable order. Asked by frameworks (lms.frameworks.case);
answered by projects (the briefs' rubrics).""")


certificate_links = lms_signals.signal("certificate-links", """Links shown with a certificate on its holder's
page. Sender: the Credential (issued). Answer: ``[(label, url), ...]``. Asked by credentials; answered by
wallet ("Add to a wallet").""")

credential_copy = lms_signals.signal("credential-copy", """A stored copy of one of our credentials issued
outside the register (to a holder's wallet). Sender: the copy's ``id`` (any JSON value a document carries).
Answer: ``(Credential, signed_json)`` of the register's credential and the copy as stored, or None. Asked by
credentials' verification; answered by wallet.""")

exemptions = lms_signals.signal("exemptions", """The requirements a person is exempted from by recognised partner
credentials. Sender: the User. Answer: ``[{"kind": "course" | "exam" | "prerequisite", "code": the course's slug,
"<course slug>/<quiz key>" or the programme's key, "partner": {"en", "zh"}, "achievement": str, "request": str,
"until": "YYYY-MM-DD" | None}, ...]``. Asked by credentials (eligibility); answered by recognition.""")

credential_evidence = lms_signals.signal("credential-evidence", """OB 3.0 ``Evidence`` objects another feature adds to
a person's credential. Sender: the User; ``lang``: the credential's edition ("en" or "zh"). Answer: ``[{"id", "type": ["Evidence"], "name", "narrative", ...}, ...]``.
Asked by credentials when it writes a credential's ``evidence``; answered by recognition (confirmed
recognitions in force).""")


def answers(signal: NamedSignal, sender, **payload) -> list:
    """The receivers' answers to a query, in the order they were connected."""
    return [answer for _receiver, answer in signal.send(sender, **payload)]
