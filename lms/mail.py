"""Outgoing mail: SMTP when ``LMS_MAIL_SERVER`` is set, otherwise a file per message in the outbox."""
from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from lms.db import utcnow

log = logging.getLogger("lms.mail")


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
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
        log.warning("mail to %s written to %s (no SMTP server configured): %s\n%s",
                    to, outbox / name, subject, body)
    return msg
