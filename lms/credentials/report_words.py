"""The words of a verification report (:mod:`lms.credentials.verification` returns facts), made where the report
is shown, in the request's language: the sentence for each check on the upload and bulk pages, and the API's
JSON answer, which gives the same sentences as ``message``."""
from __future__ import annotations

from flask_babel import gettext as _

from lms.credentials.presentation import MAX_CREDENTIALS, PresentationFacts
from lms.credentials.verification import Check, SubmissionReport, VerificationReport


def _record(check: Check) -> str:
    if check.ok:
        return _("It is identical to the credential in our register.")
    if check.values.get("id"):
        return _("It differs from the credential %(id)s in our register.", id=check.values["id"])
    return _("It does not match any credential in our register.")


def _date(check: Check) -> str:
    until = check.values.get("until")
    return until.strftime("%Y-%m-%d") if until is not None else ""


# check name -> (words when it passed, words when it failed), each from the check's values
_WORDS = {
    "format": (lambda c: _("An Open Badges 3.0 credential."),
               lambda c: _("This is not an Open Badges 3.0 credential.")),
    "signature": (lambda c: _("The signature matches the content and our published key."),
                  lambda c: _("The signature does not verify: %(e)s", e="; ".join(c.values.get("errors", ())))),
    "issuer": (lambda c: _("Issued by %(d)s.", d=c.values["issuer"]),
               lambda c: _("Issued by %(d)s, not by this centre.", d=c.values["issuer"])),
    "schema": (lambda c: _("It conforms to the official Open Badges 3.0 schema."),
               lambda c: _("It does not conform to the official Open Badges 3.0 schema: %(e)s",
                           e="; ".join(c.values.get("errors", ())))),
    "record": (_record, _record),
    "revocation": (lambda c: _("Not revoked."), lambda c: _("Revoked: %(r)s", r=c.values["reason"])),
    "suspension": (lambda c: _("Not suspended."), lambda c: _("Suspended: %(r)s", r=c.values["reason"])),
    "dates": (lambda c: _("Valid until %(d)s.", d=_date(c)), lambda c: _("Expired on %(d)s.", d=_date(c))),
}


def check_message(check: Check) -> str:
    """The sentence that tells a person what ``check`` found."""
    passed, failed = _WORDS[check.name]
    return passed(check) if check.ok else failed(check)


def report_json(report: VerificationReport) -> dict:
    """What the API answers for one document: the same facts as the page, and the same sentences."""
    out: dict = {"verdict": report.verdict, "authentic": report.authentic,
                 "checks": [{"check": c.name, "ok": c.ok, "message": check_message(c)} for c in report.checks]}
    if report.refused is not None:
        out["refused"] = {"bound": report.refused.what, "limit": report.refused.limit}
    if report.credential is not None:
        out["id"], out["status"] = report.credential.public_id, report.status
    if report.signed is not None:
        s = report.signed
        out["signed"] = {"names": s.names, "achievement": s.achievement, "level": s.level, "validFrom": s.valid_from,
                         "validUntil": s.valid_until, "issuer": {"id": s.issuer_id, "name": s.issuer_name}}
    return out


def _proof_line(facts: PresentationFacts) -> tuple[bool | None, str]:
    if not facts.has_proof:
        return None, _("The presentation is not signed by its holder.")
    if facts.proof_verified is None and facts.errors:
        return None, _("The holder's signature was not checked: %(e)s", e="; ".join(facts.errors))
    if facts.proof_verified is None:
        return None, _("The holder's signature is not checked here: only a holder identified by a did:key is.")
    if facts.proof_verified:
        return True, _("The holder's signature on the presentation verifies.")
    return False, _("The holder's signature on the presentation does not verify: %(e)s", e="; ".join(facts.errors))


def presentation_lines(facts: PresentationFacts) -> list[tuple[bool | None, str]]:
    """What a presentation says about itself, sentence by sentence, each with whether it is good news (None:
    neither)."""
    lines = [(None, _("A verifiable presentation holding %(n)d credential(s).", n=facts.count))]
    lines.append((None, _("Presented by %(h)s.", h=facts.holder) if facts.holder
                  else _("The presentation does not name its holder.")))
    lines.append(_proof_line(facts))
    if facts.more:
        lines.append((False, _("Only the first %(n)d credentials are checked.", n=MAX_CREDENTIALS)))
    return lines


def submission_json(submission: SubmissionReport) -> dict:
    """What the API answers for a presentation: its facts and sentences, and a report per credential inside."""
    facts = submission.presentation
    assert facts is not None
    return {"presentation": {"holder": facts.holder, "signed": facts.has_proof, "signatureVerified": facts.proof_verified,
                             "credentials": facts.count, "messages": [text for _ok, text in presentation_lines(facts)]},
            "documents": [report_json(r) for r in submission.reports]}
