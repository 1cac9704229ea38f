"""The audit report in words, for the client (page and PDF) and the console.

Four parts, as §6.3.3 asks: what was scanned, what was found, what was done, and what waits
for the client. The PDF is drawn with fpdf2 in the client's language, with the quotes' fonts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from xuala.wsa.admins import admin_login, asks_about_admin
from xuala.wsa.models import Audit
from xuala.wsa.selectors import audit_report

KIND_LABELS = {
    "malware": gettext_lazy("Malicious code"),
    "integrity": gettext_lazy("Modified WordPress file"),
    "hidden": gettext_lazy("Hidden file"),
    "vulnerability": gettext_lazy("Known vulnerability"),
    "database": gettext_lazy("Database content"),
    "suspicious": gettext_lazy("Suspicious code"),
}
SEVERITY_LABELS = {
    "critical": gettext_lazy("Critical"), "high": gettext_lazy("High"),
    "medium": gettext_lazy("Medium"), "low": gettext_lazy("Low"),
}


@dataclass(frozen=True)
class Line:
    severity: str
    kind: str
    where: str
    action: str
    pk: int = 0
    admin: str = ""  # the login, for a finding about an administrator still waiting


def _line(finding) -> Line:
    return Line(severity=str(SEVERITY_LABELS.get(finding.severity, finding.severity)),
                kind=str(KIND_LABELS.get(finding.kind, finding.kind)), where=finding.path,
                action=finding.get_action_display(), pk=finding.pk,
                admin=admin_login(finding.path) if asks_about_admin(finding) else "")


def report_words(audit: Audit) -> dict:
    """The report's parts as text in the active language."""
    report = audit_report(audit=audit)
    for_client = [f for f in report.findings if f.kind == "vulnerability"
                  or asks_about_admin(f)]
    scanned = _("%(files)s files (%(mb)s MB) of %(site)s were examined%(db)s.") % {
        "files": formats.number_format(audit.files, force_grouping=True),
        "mb": formats.number_format(round(audit.bytes / 1e6, 1), decimal_pos=1),
        "site": audit.site.url,
        "db": _(", and its database") if audit.database else ""}
    return {"report": report, "scanned": scanned,
            "found": [_line(f) for f in report.findings],
            "done": [_line(f) for f in report.done],
            "waiting": [_line(f) for f in report.waiting],
            "for_client": [_line(f) for f in for_client]}


def audit_pdf(audit: Audit, *, language: str) -> bytes:
    from xuala.quotes.pdf import default_fonts

    with translation.override(language):
        words = report_words(audit)
        pdf = FPDF(format="A4")
        pdf.set_auto_page_break(auto=True, margin=15)
        fonts = default_fonts()
        family = "Helvetica"
        if fonts.unicode:
            pdf.add_font("ReportSans", "", str(fonts.regular))
            pdf.add_font("ReportSans", "B", str(fonts.bold))
            family = "ReportSans"

        def text(value: str) -> str:
            return value if fonts.unicode else value.encode("latin-1", "replace").decode(
                "latin-1")

        pdf.add_page()
        pdf.set_font(family, "B", 16)
        pdf.multi_cell(0, 9, text(_("Security audit of %(site)s") % {"site": audit.site.url}),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(family, "", 10)
        when = formats.date_format(audit.finished_at or audit.created_at, "DATETIME_FORMAT")
        pdf.multi_cell(0, 6, text(_("Finished: %(when)s (UTC)") % {"when": when}),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        sections = [
            (_("What was scanned"), [words["scanned"]]),
            (_("What was found"), [f"{x.severity} · {x.kind} · {x.where}" for x in words["found"]]
             or [_("Nothing: no malware, modified files or injected content.")]),
            (_("What was done"), [f"{x.where}: {x.action}" for x in words["done"]] or ["—"]),
            (_("Waiting for our technicians"),
             [f"{x.where}: {x.action}" for x in words["waiting"]] or ["—"]),
            (_("Waiting for you"), [f"{x.kind} · {x.where}" for x in words["for_client"]]
             or ["—"]),
        ]
        for title, lines in sections:
            pdf.ln(3)
            pdf.set_font(family, "B", 12)
            pdf.multi_cell(0, 7, text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font(family, "", 9)
            for line in lines:
                pdf.multi_cell(0, 5, text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return bytes(pdf.output())
