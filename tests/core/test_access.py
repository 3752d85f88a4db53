"""Every route × every role, generated from the URL map: each route's expected answer is stated here,
and a route added without an entry makes the test fail."""
import shutil
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.assessment import starting
from lms.assessment.models import Question, Quiz, QuizSection
from lms.catalog import services
from lms.catalog.models import Course, CourseInstructor
from lms.config import REPO_ROOT
from lms.extensions import db
from lms.frameworks import case
from lms.loading import load_all
from tests.factories import login, make_user, template_data

F1 = "f1-system-policy-ethics"
CASE = "/ims/case/v1p1"
L1 = "01-what-is-technology-transfer"
ROLES = ("anon", "trainee", "other", "instructor", "employer", "admin")

OK, REDIR, LOGIN = 200, "redirect", "login"
PUBLIC = dict.fromkeys(ROLES, OK)
SIGNED_IN = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], OK)}
ANON_ONLY = {"anon": OK, **dict.fromkeys(ROLES[1:], REDIR)}
ADMIN = {"anon": LOGIN, "trainee": 403, "other": 403, "instructor": 403, "employer": 403, "admin": OK}
ADMIN_POST = {**ADMIN, "admin": REDIR}
TEACH = {"anon": LOGIN, "trainee": 403, "other": 403, "instructor": OK, "employer": 403, "admin": OK}
TEACH_POST = {**TEACH, "instructor": REDIR, "admin": REDIR}
SIGNED_IN_POST = {"anon": LOGIN, **dict.fromkeys(ROLES[1:], REDIR)}
# a trainee's project: others (another trainee, an employer) are told it does not exist
PROJECT = {"anon": LOGIN, "trainee": OK, "other": 404, "instructor": 403, "employer": 404, "admin": OK}

# endpoint: (method, url, data, expected per role)
MATRIX = {
    "core.index": ("GET", "/", None, PUBLIC),
    "core.healthz": ("GET", "/healthz", None, PUBLIC),
    "core.set_language": ("POST", "/lang", {"lang": "zh_Hans", "next": "/"}, dict.fromkeys(ROLES, REDIR)),
    "static": ("GET", "/static/css/app.css", None, PUBLIC),
    "frameworks.tree": ("GET", "/framework", None, PUBLIC),
    "frameworks.competency": ("GET", "/framework/D1.1", None, PUBLIC),
    "case.documents": ("GET", f"{CASE}/CFDocuments", None, PUBLIC),
    "case.document": ("GET", f"{CASE}/CFDocuments/{case.document_id('TTM-CF')}", None, PUBLIC),
    "case.package": ("GET", f"{CASE}/CFPackages/{case.document_id('TTM-CF')}", None, PUBLIC),
    "case.download": ("GET", f"{CASE}/CFPackages/{case.document_id('TTM-CF')}.json", None, PUBLIC),
    "case.item": ("GET", f"{CASE}/CFItems/{case.ident('TTM-CF', 'item', 'competency:D1.1')}", None, PUBLIC),
    "case.association": ("GET", f"{CASE}/CFAssociations/{case.ident('TTM-CF', 'association', 'D1.1|parent')}",
                         None, PUBLIC),
    "case.item_type": ("GET", f"{CASE}/CFItemTypes/{case.ident('TTM-CF', 'item-type', 'domain')}", None, PUBLIC),
    "case.grouping": ("GET", f"{CASE}/CFAssociationGroupings/{case.ident('TTM-CF', 'grouping', 'RTTP')}", None,
                      PUBLIC),
    "case.rubric": ("GET", f"{CASE}/CFRubrics/{case.ident('TTM-CF', 'rubric', F1 + '/access')}", None, PUBLIC),
    "case.import_package": ("GET", "/admin/framework/case-import", None, ADMIN),
    "catalog.catalogue": ("GET", "/courses", None, PUBLIC),
    "catalog.course": ("GET", f"/courses/{F1}", None, PUBLIC),
    "catalog.enrol": ("POST", f"/courses/{F1}/enrol", {}, SIGNED_IN_POST),
    # a trainee not enrolled (and an employer) is sent to the course page to enrol; the course's
    # instructor and admins read lessons without enrolling
    "catalog.lesson": ("GET", f"/courses/{F1}/lessons/{L1}", None,
                       {"anon": LOGIN, "trainee": OK, "other": REDIR, "instructor": OK, "employer": REDIR, "admin": OK}),
    "catalog.mark_done": ("POST", f"/courses/{F1}/lessons/{L1}/done", {"done": "1"}, SIGNED_IN_POST),
    "dashboard.home": ("GET", "/dashboard", None, SIGNED_IN),
    "accounts.login": ("GET", "/login", None, ANON_ONLY),
    "accounts.register": ("GET", "/register", None, ANON_ONLY),
    "accounts.confirm_registration": ("GET", "/register/confirm/not-a-valid-token", None, dict.fromkeys(ROLES, REDIR)),
    "accounts.logout": ("POST", "/logout", {}, SIGNED_IN_POST),
    "accounts.profile": ("GET", "/account/profile", None, SIGNED_IN),
    "accounts.change_password": ("GET", "/account/password", None, SIGNED_IN),
    "accounts.forgot": ("GET", "/account/forgot", None, PUBLIC),
    "accounts.reset": ("GET", "/account/reset/not-a-valid-token", None, dict.fromkeys(ROLES, REDIR)),
    "accounts.admin_users": ("GET", "/admin/users", None, ADMIN),
    "accounts.admin_user": ("GET", "/admin/users/{trainee}", None, ADMIN),
    "accounts.admin_user_active": ("POST", "/admin/users/{other}/active/0", {}, ADMIN_POST),
    "accounts.admin_user_names": ("POST", "/admin/users/{other}/names", {"name_latin": "Other Person"}, ADMIN_POST),
    "accounts.admin_user_role": ("POST", "/admin/users/{other}/roles/grant", {"role": "employer"}, ADMIN_POST),
    "accounts.admin_user_organisation": ("POST", "/admin/users/{other}/organisation", {"organisation": "X"}, ADMIN_POST),
    "authoring.new_course": ("GET", "/teach/courses/new", None, TEACH),
    "authoring.edit_course": ("GET", f"/teach/courses/{F1}", None, TEACH),
    "authoring.set_status": ("POST", f"/teach/courses/{F1}/status", {"status": "draft"}, TEACH_POST),
    "authoring.add_instructor": ("POST", f"/teach/courses/{F1}/instructors", {"email": "x@example.com"}, TEACH_POST),
    "authoring.add_module": ("POST", f"/teach/courses/{F1}/modules", {"key": "m9-extra", "title_en": "Extra"}, TEACH_POST),
    "authoring.edit_module": ("GET", f"/teach/courses/{F1}/modules/m1-system", None, TEACH),
    "authoring.module_action": ("POST", f"/teach/courses/{F1}/modules/m1-system/down", {}, TEACH_POST),
    "authoring.new_lesson": ("GET", f"/teach/courses/{F1}/modules/m1-system/lessons/new", None, TEACH),
    "authoring.edit_lesson": ("GET", f"/teach/courses/{F1}/lessons/{L1}", None, TEACH),
    "authoring.lesson_action": ("POST", f"/teach/courses/{F1}/lessons/{L1}/down", {}, TEACH_POST),
    "authoring.preview": ("POST", "/teach/preview", {"text": "# x"}, TEACH),
    "authoring.export": ("GET", f"/teach/courses/{F1}/export.zip", None, TEACH),
    "exams.quiz": ("GET", "/quizzes/{quiz}", None,
                   {"anon": LOGIN, "trainee": OK, "other": 404, "instructor": OK, "employer": 404, "admin": OK}),
    "exams.start": ("POST", "/quizzes/{quiz}/start", {},
                    {"anon": LOGIN, "trainee": REDIR, "other": 404, "instructor": REDIR, "employer": 404, "admin": REDIR}),
    # a live attempt is seen only by the person taking it
    "exams.attempt": ("GET", "/attempts/{attempt}", None, {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "exams.save": ("POST", "/attempts/{attempt}/save", {"finish": "0"},
                   {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": REDIR}),
    "exams.summary": ("GET", "/attempts/{attempt}/summary", None, {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "exams.answer": ("POST", "/attempts/{attempt}/answer", {"__json__": {"position": 1, "response": "true"}},
                     {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "exams.flag": ("POST", "/attempts/{attempt}/flag", {"__json__": {"position": 1, "flagged": True}},
                   {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "exams.clock": ("GET", "/attempts/{attempt}/clock", None, {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "exams.submit": ("POST", "/attempts/{attempt}/submit", {},
                     {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": REDIR}),
    # review of an open attempt sends the owner (and the course's staff) back to the attempt
    "exams.review": ("GET", "/attempts/{attempt}/review", None,
                     {"anon": LOGIN, "trainee": REDIR, "other": 404, "instructor": REDIR, "employer": 404, "admin": REDIR}),
    "exams.grading_queue": ("GET", "/teach/grading", None, TEACH),
    # grading needs a submitted attempt; the trainee's attempt here is still open
    "exams.grade": ("POST", "/teach/grading/{attempt}/1", {"points": "1"},
                    {"anon": LOGIN, "trainee": 403, "other": 403, "instructor": 404, "employer": 403, "admin": 404}),
    "exams.analysis": ("GET", "/teach/quizzes/{quiz}/analysis", None, TEACH),
    "exams.results": ("GET", "/teach/quizzes/{quiz}/results", None, TEACH),
    "exams.overrides": ("POST", "/teach/quizzes/{quiz}/overrides",
                        {"email": "t1@example.com", "extra_minutes": "5", "extra_attempts": "1"}, TEACH_POST),
    # removing terms nobody has (or no longer has) changes nothing and goes back to the list
    "exams.remove_override": ("POST", "/teach/quizzes/{quiz}/overrides/{trainee}/remove", {}, TEACH_POST),
    "exams.results_csv": ("GET", "/teach/quizzes/{quiz}/results.csv", None, TEACH),
    "exams.analysis_csv": ("GET", "/teach/quizzes/{quiz}/analysis.csv", None, TEACH),
    "exams.prepare": ("POST", "/teach/quizzes/{quiz}/prepare", {}, TEACH_POST),
    "exams.set_password": ("POST", "/teach/quizzes/{quiz}/password", {"password": ""}, TEACH_POST),
    "exams.close_overdue": ("POST", "/teach/quizzes/{quiz}/close-overdue", {}, TEACH_POST),
    "exams.diagnostic": ("GET", "/diagnostic", None, SIGNED_IN_POST),
    "exams.new_quiz": ("GET", f"/teach/courses/{F1}/exams/new", None, TEACH),
    "exams.edit_quiz": ("GET", f"/teach/courses/{F1}/exams/q", None, TEACH),
    "exams.profile": ("GET", "/profile/competencies", None, SIGNED_IN),
    "projects.index": ("GET", "/projects", None, SIGNED_IN),
    "projects.brief": ("GET", "/projects/briefs/{brief}", None, SIGNED_IN),
    "projects.register": ("GET", "/projects/briefs/{brief}/register", None, {**TEACH, "trainee": OK, "other": OK,
                                                                            "instructor": 403}),
    "projects.sponsor": ("GET", "/projects/sponsor/not-a-valid-token", None, dict.fromkeys(ROLES, 410)),
    # a project is seen by its trainee, the course's staff and its examiners (the instructor is its lecturer)
    "projects.show": ("GET", "/projects/{project}", None, {**PROJECT, "instructor": OK}),
    "projects.resend": ("POST", "/projects/{project}/sponsor-link", {},
                        {**PROJECT, "trainee": REDIR, "instructor": 403, "admin": REDIR}),
    "projects.override": ("POST", "/projects/{project}/override", {"reason": "known sponsor"}, ADMIN_POST),
    "projects.staff": ("POST", "/projects/{project}/staff", {}, {**PROJECT, "trainee": 403, "instructor": REDIR,
                                                                 "admin": REDIR}),
    "projects.submit": ("POST", "/projects/{project}/submit", {}, {**PROJECT, "trainee": REDIR, "instructor": 403,
                                                                   "admin": 403}),
    "projects.download": ("GET", "/projects/{project}/files/{file}", None, {**PROJECT, "instructor": OK}),
    "projects.worksheet": ("GET", "/projects/{project}/worksheet", None, {**PROJECT, "instructor": OK}),
    "projects.grade": ("GET", "/projects/{project}/grade", None, {**PROJECT, "trainee": 403, "instructor": OK,
                                                                  "admin": 403}),
    "projects.defence": ("POST", "/projects/{project}/defence", {}, {**PROJECT, "trainee": 403, "instructor": REDIR,
                                                                     "admin": REDIR}),
    "projects.release": ("POST", "/projects/{project}/release", {}, {**PROJECT, "trainee": 403, "instructor": REDIR,
                                                                     "admin": REDIR}),
    "projects.resubmit": ("POST", "/projects/{project}/resubmit", {}, {**PROJECT, "trainee": REDIR, "instructor": 403,
                                                                       "admin": 403}),
    "projects.queue": ("GET", "/projects/grading", None, TEACH),
    "projects.overview": ("GET", "/projects/briefs/{brief}/overview", None, {**TEACH, "other": 403}),
    "projects.new_brief": ("GET", f"/projects/teach/courses/{F1}/briefs/new", None, TEACH),
    "projects.edit_brief": ("GET", f"/projects/teach/courses/{F1}/briefs/access", None, TEACH),
    "credentials.did_json": ("GET", "/.well-known/did.json", None, PUBLIC),
    "credentials.status_list": ("GET", "/status/message/1", None, PUBLIC),
    "credentials.programme": ("GET", "/programmes/access", None, PUBLIC),
    "credentials.badge_image": ("GET", "/programmes/access/badge.png", None, PUBLIC),
    "credentials.issuer": ("GET", "/issuer", None, PUBLIC),
    "credentials.issuer_logo": ("GET", "/issuer/logo.svg", None, PUBLIC),
    "credentials.mine": ("GET", "/certificates", None, SIGNED_IN),
    "credentials.check": ("POST", "/certificates/check", {}, SIGNED_IN_POST),
    "credentials.experience": ("GET", "/certificates/experience", None, SIGNED_IN),
    "credentials.sharing": ("POST", "/certificates/{credential}/sharing", {"share": "full"},
                            {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": REDIR}),
    "credentials.verify_page": ("GET", "/v/{credential}", None, PUBLIC),
    # the holder shares the status only (the default): the signed files go to the holder and admins
    "credentials.credential_json": ("GET", "/v/{credential}/credential.json", None,
                                    {**dict.fromkeys(ROLES, 403), "trainee": OK, "admin": OK}),
    "credentials.certificate_pdf": ("GET", "/v/{credential}/certificate.pdf", None,
                                    {**dict.fromkeys(ROLES, 403), "trainee": OK, "admin": OK}),
    "credentials.linkedin": ("GET", "/v/{credential}/linkedin", None, dict.fromkeys(ROLES, REDIR)),
    "credentials.verify_upload": ("GET", "/verify", None, PUBLIC),
    "credentials.register": ("GET", "/admin/credentials", None, ADMIN),
    "credentials.act": ("POST", "/admin/credentials/{credential}/suspend", {"reason": "check", "confirm": "yes"},
                        ADMIN_POST),
    "credentials.review_claim": ("POST", "/admin/experience/{claim}/approve", {}, ADMIN_POST),
    "credentials.cpd_log": ("GET", "/certificates/{credential}/cpd", None,
                            {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "credentials.renew": ("POST", "/certificates/{credential}/renew", {},
                          {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": REDIR}),
    "credentials.cpd_evidence": ("GET", "/cpd/{cpd}/evidence", None,
                                 {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK, "admin": OK}),
    "credentials.cpd_review": ("POST", "/admin/cpd/{cpd}/approve", {}, ADMIN_POST),
    "credentials.cohort": ("POST", "/admin/credentials/cohort", {"course": F1}, ADMIN_POST),
    "credentials.transcript_page": ("GET", "/transcript", None, SIGNED_IN),
    "credentials.transcript_file": ("GET", "/transcript.csv", None, SIGNED_IN),
    # a trainee's transcript: the trainee, administrators and the instructors of a course the trainee takes
    "credentials.person_transcript": ("GET", "/people/{trainee}/transcript", None,
                                      {"anon": LOGIN, "trainee": OK, "other": 403, "instructor": OK, "employer": 403,
                                       "admin": OK}),
    "credentials.person_transcript_file": ("GET", "/people/{trainee}/transcript.csv", None,
                                           {"anon": LOGIN, "trainee": OK, "other": 403, "instructor": OK,
                                            "employer": 403, "admin": OK}),
    "employers.bulk": ("GET", "/verify/bulk", None, PUBLIC),
    "employers.keys": ("GET", "/employer/keys", None, {**ADMIN, "employer": OK}),
    "employers.revoke_key": ("POST", "/employer/keys/{apikey}/revoke", {}, {**ADMIN, "employer": REDIR, "admin": 404}),
    "employers.admin_keys": ("GET", "/admin/api-keys", None, ADMIN),
    "employers.admin_revoke_key_confirm": ("GET", "/admin/api-keys/{apikey}/revoke", None, ADMIN),
    "employers.admin_revoke_key": ("POST", "/admin/api-keys/{apikey}/revoke", {}, ADMIN_POST),
    "recognition.submit": ("GET", "/recognition", None, SIGNED_IN),
    "recognition.partners": ("GET", "/admin/partners", None, ADMIN),
    "recognition.partner": ("GET", "/admin/partners/{partner}", None, ADMIN),
    "recognition.remove": ("POST", "/admin/partners/{partner}/rule/{rule}/remove", {}, ADMIN_POST),
    "recognition.queue": ("GET", "/admin/recognition", None, ADMIN),
    "recognition.decide": ("POST", "/admin/recognition/{recognition}/decide", {"decision": "refuse", "reason": "no"},
                           ADMIN_POST),
    "employers_api.api_verify": ("POST", "/api/v1/verify", {"__json__": {"ids": ["0" * 32]}}, PUBLIC),
    "wallet.offer": ("GET", "/certificates/{credential}/wallet", None,
                     {**dict.fromkeys(ROLES, 404), "anon": LOGIN, "trainee": OK}),
    "oid4vci.issuer_metadata": ("GET", "/.well-known/openid-credential-issuer", None, PUBLIC),
    "oid4vci.authorization_server": ("GET", "/.well-known/oauth-authorization-server", None, PUBLIC),
    # a wallet's endpoints: no session, no cookie; without a code or a token they refuse everyone alike
    "oid4vci.token": ("POST", "/oid4vci/token", {}, dict.fromkeys(ROLES, 400)),
    "oid4vci.nonce": ("POST", "/oid4vci/nonce", {}, PUBLIC),
    "oid4vci.offer_object": ("GET", "/oid4vci/offers/" + "A" * 32, None, dict.fromkeys(ROLES, 404)),
    "oid4vci.credential": ("POST", "/oid4vci/credential", {"__json__": {}}, dict.fromkeys(ROLES, 401)),
    "questions.browse": ("GET", "/teach/questions", None, TEACH),
    "questions.show": ("GET", "/teach/questions/{question}", None, TEACH),
    "questions.edit": ("GET", "/teach/questions/{question}/edit", None, TEACH),
    "questions.new": ("GET", "/teach/questions/new", None, TEACH),
    "questions.delete": ("POST", "/teach/questions/{question}/delete", {}, TEACH_POST),
    "questions.regrade": ("POST", "/teach/questions/{question}/regrade/1", {}, TEACH_POST),
    "questions.regrade_preview": ("GET", "/teach/questions/{question}/regrade/1", None, TEACH_POST),   # v1 is current: back
    "questions.set_status": ("POST", "/teach/questions/{question}/status", {"status": "ready"}, TEACH_POST),
    "questions.categories": ("GET", "/teach/questions/banks/access-en/categories", None, TEACH),
    "questions.bank_course": ("POST", "/teach/questions/banks/access-en/course", {"course": ""}, TEACH_POST),
    "questions.import_file": ("GET", "/teach/questions/import", None, TEACH),
    "questions.export": ("GET", "/teach/questions/export?bank=access-en", None, TEACH),
    "questions.rubrics": ("GET", "/teach/questions/rubrics", None, TEACH),
    "questions.new_rubric": ("GET", "/teach/questions/rubrics/new", None, TEACH),
    "questions.edit_rubric": ("GET", "/teach/questions/rubrics/access", None, TEACH),
}


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), f"missing: {endpoints - set(MATRIX)}; stale: {set(MATRIX) - endpoints}"


@template_data("access_world")
def _access_world(tmp_path):
    """Every kind of object a route names, made once per session (a template database): the test gets each
    object's public id (and a person's e-mail address)."""
    (tmp_path / "courses").mkdir()
    shutil.copy(REPO_ROOT / "courses" / "framework.yaml", tmp_path / "courses")
    shutil.copytree(REPO_ROOT / "courses" / F1, tmp_path / "courses" / F1, ignore=shutil.ignore_patterns("quizzes"))
    (tmp_path / "courses" / F1 / "projects").mkdir()
    shutil.copy(REPO_ROOT / "tests" / "projects" / "brief.yaml", tmp_path / "courses" / F1 / "projects" / "access.yaml")
    load_all(tmp_path)
    people = {
        "trainee": make_user(("trainee",), "t1@example.com"),
        "other": make_user(("trainee",), "t2@example.com"),
        "instructor": make_user(("instructor",), "i1@example.com"),
        "employer": make_user(("employer",), "e1@example.com", organisation="Acme"),
        "admin": make_user(("admin",), "a1@example.com"),
    }
    from lms.assessment import banks
    bank = banks.get_or_create_bank("access-en", "en")
    banks.import_questions(bank, banks.parse_questions("// [id:A-1]\n::A::Is a licence a transfer of ownership? {F}\n",
                                                       "gift", "access.gift"))
    from lms.assessment.models import EssayRubric, EssayRubricCriterion
    db.session.add(EssayRubric(slug="access", bank="access", title_en="Access", title_zh="访问", source="{}", criteria=[
        EssayRubricCriterion(key="c", name_en="C", name_zh="C", levels=[
            {"points": 0, "descriptor": {"en": "no", "zh": "否"}}, {"points": 1, "descriptor": {"en": "yes", "zh": "是"}}])]))
    course = db.session.scalar(select(Course).where(Course.slug == F1))
    course.instructors.append(CourseInstructor(user_id=people["instructor"].id))
    services.enrol(people["trainee"], course)
    quiz = Quiz(course_id=course.id, key="q", title_en="Quiz")
    quiz.sections = [QuizSection(position=0, bank="access", idnumbers=["A-1"])]
    db.session.add(quiz)
    diagnostic = Quiz(course_id=None, key="diagnostic", kind="diagnostic", title_en="Diagnostic")
    diagnostic.sections = [QuizSection(position=0, bank="access", idnumbers=["A-1"])]
    db.session.add(diagnostic)
    db.session.flush()
    attempt = starting.start(people["trainee"], quiz, "en")
    db.session.commit()
    people.update(quiz=quiz, attempt=attempt)
    from lms.projects import services as projects
    from lms.projects.models import Brief
    brief = db.session.scalar(select(Brief))
    project = projects.register_project(people["trainee"], brief, title="P", description="D", trainee_role="R",
                                        confidential=False, sponsor_org="Acme", sponsor_kind="company",
                                        sponsor_name="S", sponsor_email="sponsor@example.com")
    projects.assign_examiner(people["admin"], project, people["instructor"], "lecturer")
    projects.override_confirmation(people["admin"], project, "known sponsor")    # deliverables need a confirmation
    sub = projects.submit_files(people["trainee"], project, [("r.pdf", b"%PDF-1.4 test")])
    db.session.commit()
    people.update(brief=brief, project=project, file=sub.files[0])
    from lms.credentials import keys
    from lms.credentials import services as credentials
    from lms.credentials.models import Credential, ExperienceClaim, Programme
    keys.create_key()
    programme = Programme(key="access", title_en="Access", level="F", competencies=[{"code": "D1.1", "level": "F"}],
                          requirements={}, validity_years=3,
                          cpd={"credits": 30, "activities": [{"type": "training", "per": "hour", "credits": 1}]})
    cred = Credential(holder=people["trainee"], programme=programme, state="pending")
    db.session.add(cred)
    db.session.flush()
    credentials.issue(cred)
    claim = ExperienceClaim(user_id=people["other"].id, years=3, evidence="three years at a university TTO")
    db.session.add(claim)
    db.session.commit()
    from datetime import date

    from lms.credentials import cpd
    activity = cpd.log_activity(people["trainee"], cred, kind="training", quantity="3", done_on=date.today(),
                                description="A licensing workshop at the centre",
                                evidence=("attendance.pdf", b"%PDF-1.4 attendance"))
    from lms.employers.services import create_key
    apikey, _secret = create_key(people["employer"], "HR system")
    db.session.commit()
    people.update(credential=cred, apikey=apikey, cpd=activity)
    import json

    from lms.credentials import signing
    from lms.recognition import services as recognition
    from tests.factories import partners
    partner_key = signing.generate_key()
    partner = partners.register_partner(people["admin"], partner_key)
    request = recognition.submit(people["trainee"], json.dumps(partners.signed(partners.credential(), partner_key)).encode())
    db.session.commit()
    people.update(partner=partner, rule=partner.rules[0], recognition=request)
    people["claim"] = type("Claim", (), {"public_id": str(claim.id), "email": None})()
    return {k: SimpleNamespace(public_id=v.public_id, email=getattr(v, "email", None))
            for k, v in {**people, "question": db.session.scalar(select(Question))}.items()}


@pytest.fixture
def world(access_world):
    return access_world


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(app, world, endpoint):
    method, url, data, expected = MATRIX[endpoint]
    url = url.format(**{k: v.public_id for k, v in world.items()})
    seen = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anon":
            assert login(client, world[role].email).status_code == 302
        if data and "__json__" in data:
            resp = client.open(url, method=method, json=data["__json__"])
        else:
            resp = client.open(url, method=method, data=data)
        if resp.status_code == 302:
            seen[role] = LOGIN if "/login" in resp.headers["Location"] else REDIR
        else:
            seen[role] = resp.status_code
    assert seen == expected


# --- what every route must do besides answering each role: moved here from test_core.py and test_limits.py,
# which read the matrix above

# the API authenticates each request with a bearer key (never the session cookie), so CSRF cannot apply; so do
# a wallet's OID4VCI endpoints (a pre-authorized code, then a bearer access token)
CSRF_EXEMPT = {"employers_api.api_verify", "oid4vci.token", "oid4vci.nonce", "oid4vci.credential"}


@pytest.mark.parametrize("endpoint", sorted(e for e, spec in MATRIX.items() if spec[0] == "POST" and e not in CSRF_EXEMPT))
def test_every_post_needs_a_csrf_token(app, client, users, endpoint):
    login(client, "admin@example.com")
    app.config["WTF_CSRF_ENABLED"] = True
    method, url, data, _ = MATRIX[endpoint]
    url = url.format(**_ids(users))
    resp = client.post(url, data=data if data and "__json__" not in data else {})
    assert resp.status_code == 400
    assert "The form expired" in resp.get_data(as_text=True)


def _ids(users) -> dict:
    return {"trainee": users["trainee"].public_id, "other": users["other"].public_id, "quiz": "0" * 32,
            "question": "0" * 32, "attempt": "0" * 32, "brief": "0" * 32, "project": "0" * 32, "file": "0" * 32,
            "credential": "0" * 32, "claim": "0", "apikey": "0" * 32, "cpd": "0" * 32,
            "partner": "0" * 32, "rule": "0" * 32, "recognition": "0" * 32}


def test_every_page_that_posts_back_needs_a_csrf_token(app, client, users):
    """Editors (a rubric, an exam, a brief...) answer GET and POST at one address, so their MATRIX entry is the
    GET: their POST is checked here."""
    login(client, "admin@example.com")
    app.config["WTF_CSRF_ENABLED"] = True
    both = sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and MATRIX[rule.endpoint][0] == "GET"})
    assert {"questions.new_rubric", "questions.edit_rubric", "exams.edit_quiz"} <= set(both)
    refused = {}
    for endpoint in both:
        resp = client.post(MATRIX[endpoint][1].format(**_ids(users)), data={"source": "title: {en: x}"})
        refused[endpoint] = resp.status_code == 400 and "The form expired" in resp.get_data(as_text=True)
    assert [e for e, ok in refused.items() if not ok] == []


def test_every_route_that_sends_anonymous_visitors_to_sign_in_is_marked_as_needing_one(app, client):
    """A view protected by Flask-Login's own ``login_required`` (or a check of its own) without the mark would read an
    anonymous POST's body: every route of the URL map (each has an entry in the access matrix) that answers an
    anonymous request with the sign-in page, or is expected to, must be marked (lms.security.login_required)."""
    from collections import defaultdict

    from lms.core.limits import needs_sign_in

    assert {rule.endpoint for rule in app.url_map.iter_rules()} == set(MATRIX)
    dummy = defaultdict(lambda: "0" * 32)
    unmarked = []
    for endpoint, (method, url, data, expected) in sorted(MATRIX.items()):
        if data and "__json__" in data:
            resp = client.open(url.format_map(dummy), method=method, json=data["__json__"])
        else:
            resp = client.open(url.format_map(dummy), method=method, data=data)
        to_login = resp.status_code == 302 and "/login" in resp.headers["Location"]
        if (to_login or expected["anon"] == LOGIN) and not needs_sign_in(app.view_functions[endpoint]):
            unmarked.append(endpoint)
    assert unmarked == []
