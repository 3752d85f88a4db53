"""Outgoing mail: SMTP when ``LMS_MAIL_SERVER`` is set, otherwise a file per message in the outbox.

Code sends mail with :func:`queue_mail`: the text comes from ``templates/mail/<name>.txt`` (its first line
is the subject, the rest the body), rendered at once in the language of the moment, and it is sent after
the transaction commits (:func:`lms.jobs.after_commit`), through the job queue when one is configured. A
transaction that rolls back sends nothing; a mail that fails is logged and fails nothing else."""
from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from lms.db import utcnow
from lms.jobs import after_commit

log = logging.getLogger("lms.mail")


def render_mail(template: str, **context) -> tuple[str, str]:
    """(subject, body) of ``templates/mail/<template>.txt``."""
    text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n") + "\n"


def queue_mail(to: str, template: str, **context) -> None:
    """Render the mail now and send it after the current transaction commits."""
    subject, body = render_mail(template, **context)
    after_commit("lms.mail.send_mail", to, subject, body)


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send one message now (the job :func:`queue_mail` schedules)."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="lms.local")
    msg.set_content(body)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
        log.info("mail sent to %s: %s", to, subject)
    else:
        outbox = cfg["LMS_OUTBOX"]
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"  # sorts in sending order
        (outbox / name).write_bytes(bytes(msg))
        # never the body: it may hold a password-reset or registration link
        log.warning("mail to %s written to %s (no SMTP server configured): %s", to, outbox / name, subject)
    return msg
