"""The transcript written out: a CSV for spreadsheets (UTF-8 with a byte-order mark, so Excel reads the
Chinese; headers and words in the reader's language) and a bilingual A4 PDF in the certificate's look.
The PDF carries the signed CLR transcript as an attachment (``credential.json``, as :func:`pdf._finish` names it), as the certificate does."""
from __future__ import annotations

import codecs
import csv
import io

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from lms.core.spreadsheet import cells
from lms.credentials.pdf import BRAND, GOLD, INK, LEVELS, MUTED, _finish, _fit, _register_fonts, frame
from lms.credentials.transcript import CourseRecord, Transcript


def _h(value) -> str:
    return f"{float(value):g}"


def _title(title: dict, lang: str) -> str:
    return (title.get(lang) or title.get("en" if lang == "zh" else "zh") or "").strip()


def _day(day) -> str:
    return day.isoformat() if day else ""


def exam_words(rec: CourseRecord, lang: str) -> str:
    out = []
    for e in rec.exams:
        if e.grade is None:
            out.append(_("%(title)s: awaiting marking", title=_title(e.title, lang)))
        else:
            out.append(_("%(title)s: %(grade)s%% (%(outcome)s)", title=_title(e.title, lang), grade=_h(e.grade),
                         outcome=_("passed") if e.passed else _("not passed")))
    return "; ".join(out)


def project_words(rec: CourseRecord, lang: str) -> str:
    return "; ".join(_("%(title)s: %(grade)s%% (%(outcome)s)", title=_title(p.title, lang), grade=_h(p.grade),
                       outcome=_("passed") if p.passed else _("not passed")) for p in rec.projects)


def csv_bytes(facts: Transcript, lang: str) -> bytes:
    """Every text cell through :func:`lms.core.spreadsheet.cells` (a title starting with ``=`` is no formula)."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(cells([_("Code"), _("Course"), _("Level"), _("Started"), _("Last activity"), _("Completed"),
                  _("Live hours"), _("Recorded hours"), _("CE points (provisional)"), _("Exam results"),
                  _("Project results")]))
    for rec in facts.courses:
        level = LEVELS.get(rec.level, (rec.level, rec.level))[1 if lang == "zh" else 0]
        out.writerow(cells([rec.code, _title(rec.title, lang), level, _day(rec.started), _day(rec.last_activity),
                            _day(rec.completed), _h(rec.hours_live), _h(rec.hours_recorded), _h(rec.ce_points),
                            exam_words(rec, lang), project_words(rec, lang)]))
    out.writerow(["", _("Total"), "", _day(facts.first_day), _day(facts.last_day), "", _h(facts.hours_live),
                  _h(facts.hours_recorded), _h(facts.ce_points), "", ""])
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------- PDF (bilingual, like the certificate)

W, H = A4
LEFT, RIGHT = 48, A4[0] - 48
COLUMNS = ((LEFT, "代码 Code"), (LEFT + 48, "课程 · Course · 成绩 Results"), (LEFT + 300, "日期 · Dates"),
           (LEFT + 380, "现场 · Live h"), (LEFT + 445, "录播 · Rec. h"))
COURSE_WIDTH = 246


def _frame(c: canvas.Canvas, facts: Transcript, page: int) -> float:
    """The frame and header of a page; returns the y where the table starts."""
    frame(c, W, H, 16, 5, 26, 1)
    c.setFillColor(INK)
    c.setFont("CJK-Bold", 12)
    c.drawString(LEFT, H - 60, "TTM Academy · 技术经理人学院")
    c.setFillColor(BRAND)
    c.setFont("CJK-Bold", 18)
    c.drawString(LEFT, H - 86, "继续教育学时成绩单 · CE-point transcript")
    c.setFillColor(INK)
    c.setFont("CJK-Bold", 12)
    c.drawString(LEFT, H - 106, "  ".join(n for n in (facts.name_zh, facts.name_latin) if n))
    c.setFillColor(MUTED)
    c.setFont("CJK", 8)
    c.drawRightString(RIGHT, H - 60, f"第 {page} 页 · Page {page}")
    y = H - 130
    c.setFont("CJK-Bold", 7.5)
    for x, label in COLUMNS:
        c.drawString(x, y, label)
    c.setStrokeColor(GOLD)
    c.line(LEFT, y - 4, RIGHT, y - 4)
    return y - 18


_OUTCOME = {True: "通过 passed", False: "未通过 not passed"}


def _results_lines(rec: CourseRecord) -> list[str]:
    lines = [f"{_title(e.title, 'en')} {_h(e.grade)}% {_OUTCOME[e.passed]}" if e.grade is not None
             else f"{_title(e.title, 'en')} — 待评分 awaiting marking" for e in rec.exams]
    lines += [f"{_title(p.title, 'en')} {_h(p.grade)}% {_OUTCOME[p.passed]}" for p in rec.projects]
    return lines or ["—"]


def _row(c: canvas.Canvas, rec: CourseRecord, y: float) -> float:
    """One course: code, titles (Chinese, English), then its results below the titles; the dates and hours
    to the right. Returns the y below it."""
    c.setFillColor(BRAND)
    c.setFont("CJK-Bold", 8.5)
    c.drawString(COLUMNS[0][0], y, rec.code)
    c.setFillColor(INK)
    for text, size, dy in ((_title(rec.title, "zh"), 8.5, 0), (_title(rec.title, "en"), 7.5, 10)):
        c.setFont("CJK", _fit(c, text, "CJK", size, COURSE_WIDTH))
        c.drawString(COLUMNS[1][0], y - dy, text)
    c.setFont("CJK", 7.5)
    c.drawString(COLUMNS[2][0], y, _day(rec.started))
    c.drawString(COLUMNS[2][0], y - 10, "→ " + _day(rec.completed or rec.last_activity))
    c.setFont("CJK-Bold", 8.5)
    c.drawString(COLUMNS[3][0], y, _h(rec.hours_live))
    c.drawString(COLUMNS[4][0], y, _h(rec.hours_recorded))
    c.setFillColor(MUTED)
    results = _results_lines(rec)
    for i, line in enumerate(results):
        c.setFont("CJK", _fit(c, line, "CJK", 7, COURSE_WIDTH - 8))
        c.drawString(COLUMNS[1][0] + 8, y - 22 - 9 * i, line)
    bottom = y - 26 - 9 * len(results)
    c.setStrokeColor(MUTED)
    c.setLineWidth(0.3)
    c.line(LEFT, bottom + 6, RIGHT, bottom + 6)
    return bottom - 6


def _totals(c: canvas.Canvas, facts: Transcript, y: float, verify_note: str) -> None:
    c.setFillColor(INK)
    c.setFont("CJK-Bold", 9)
    c.drawString(LEFT, y, f"合计 · Total: {_h(facts.hours)} h — 现场 live {_h(facts.hours_live)} h, "
                          f"录播/自学 recorded {_h(facts.hours_recorded)} h — CE points {_h(facts.ce_points)}")
    c.setFillColor(MUTED)
    c.setFont("CJK", 7)
    notes = ["CE 学分暂按每 1 现场学时计 1 分（ATTP 课程评审委员会尚未核定本课程）；录播学时不计 CE 学分。",
             "Provisional: 1 CE point per live contact hour (not yet allocated by ATTP's Course Review Committee); "
             "recorded hours give no CE points.",
             "现场学时按学员标记完成的现场课时计，申报前请以签到记录核对。 Live hours are lessons marked done; "
             "check them against the session register.", verify_note]
    for i, line in enumerate(notes):
        c.setFont("CJK", _fit(c, line, "CJK", 7, RIGHT - LEFT))
        c.drawString(LEFT, y - 16 - 10 * i, line)


def pdf_bytes(facts: Transcript, signed_json: str, transcript_id: str) -> bytes:
    _register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0, initialFontName="CJK", initialFontSize=10)
    c.setTitle(f"CE-point transcript — {facts.name_latin or facts.name_zh or ''}")
    c.setAuthor("TTM Academy")
    page = 1
    y = _frame(c, facts, page)
    for rec in facts.courses:
        if y < 150:
            c.showPage()
            page += 1
            y = _frame(c, facts, page)
        y = _row(c, rec, y)
    if not facts.courses:
        c.setFont("CJK", 9)
        c.drawString(LEFT, y, "尚无课程 · No course yet")
        y -= 20
    _totals(c, facts, y - 6, "本 PDF 内附已签名的 CLR 2.0 成绩单（credential.json）。 This PDF carries the signed CLR 2.0 "
                             "transcript (credential.json).")
    c.showPage()
    c.save()
    return _finish(buf.getvalue(), signed_json.encode("utf-8"), transcript_id)
