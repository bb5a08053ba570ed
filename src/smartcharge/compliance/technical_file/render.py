"""The technical file (R39) in the seed template's structure, as Markdown, HTML and PDF.

Structure: the charge point's identity, description, operating manual, one table per group of
requirements with the technical solution adopted and the verdict, the test reports (name, date,
outcome, evidence), and the statement of compliance. Markdown is the source; HTML comes from it
through markdown-it-py, the PDF from that HTML through fpdf2 (pure Python, its core fonts: the
text is reduced to Latin-1 for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from fpdf import FPDF
from markdown_it import MarkdownIt

from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import Run
from smartcharge.compliance.technical_file.content import SECTIONS
from smartcharge.compliance.technical_file.product import TO_COMPLETE
from smartcharge.compliance.technical_file.rows import Row
from smartcharge.regulations.catalogue import get


def rows(run: Run) -> list[Row]:
    said = run.declaration
    return [Row.of(get(r), said.solution(r), run.results[r]) for _, ids in SECTIONS for r in ids]


@dataclass(frozen=True)
class Header:
    """The header of the file: the charger as it reported itself, the seller as declared."""

    make: str
    model: str
    serial: str
    software_version: str
    seller: str
    manufacturer: str

    @classmethod
    def of(cls, run: Run) -> Header:
        t, said = run.tested, run.declaration
        unknown = "(no charger reported it: none booted)"
        return cls(
            make=t.make if t else unknown,
            model=t.model if t else unknown,
            serial=t.serial if t else unknown,
            software_version=t.firmware if t else unknown,
            seller=said.seller or f"({TO_COMPLETE})",
            manufacturer=said.manufacturer or f"({TO_COMPLETE})",
        )


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def _evidence(row: Row) -> str:
    ev = row.result.evidence
    parts = list(ev.files)
    for name, stats in ev.statistics.items():
        parts.append(
            f"{name}: n={stats.get('n', 0):.0f}, chi-squared p={stats.get('chi2_p', 0):.3g},"
            f" KS p={stats.get('ks_p', 0):.3g}"
        )
    for name, value in list(ev.timings.items())[:4]:
        parts.append(f"{name} = {value:.3g}")
    return "; ".join(parts) or "-"


def statement(run: Run, head: Header, all_rows: list[Row]) -> str:
    open_rows = [r for r in all_rows if r.result.outcome in (Outcome.FAIL, Outcome.NOT_RUN)]
    manual = [r.requirement.id for r in all_rows if r.result.outcome is Outcome.MANUAL]
    who = f"{head.make} {head.model}, software version {head.software_version}"
    missing = run.declaration.incomplete
    if open_rows:
        text = (
            f"No statement of compliance is made for the {who}: the following requirements are"
            " not demonstrated by a passing test: "
            + ", ".join(f"{r.requirement.id} ({r.result.outcome.value})" for r in open_rows)
            + "."
        )
    elif missing:
        text = (
            f"Every requirement of the {who} that a test decides passed. The statement of"
            " compliance is the manufacturer's to make once the file is complete; still"
            f" {TO_COMPLETE}: {', '.join(missing)}."
        )
    else:
        text = (
            f"{head.seller} states that the {who} complies with the Electric Vehicles (Smart"
            " Charge Points) Regulations 2021; every requirement is backed by a passing test"
            " named in the test reports, except those assessed by hand"
            + (f" ({', '.join(manual)})" if manual else "")
            + " and those not applicable."
        )
    agreement = run.dsr_agreement
    if agreement is not None:
        text += (
            "\n\nThis charge point is sold with a demand side response agreement and configured"
            " for it (regulation 10(4), R20), so R14-R18 do not apply.\n\n"
            f"- DSR service provider: {agreement.provider}\n"
            f"- Agreement reference: {agreement.agreement_reference}\n"
            f"- Signed on: {agreement.signed_on}\n"
            f"- Services: {agreement.services}\n"
            f"- Configuration: {agreement.configuration}"
        )
    return text


def markdown(run: Run) -> str:
    head = Header.of(run)
    said = run.declaration
    all_rows = rows(run)
    by_id = {r.requirement.id: r for r in all_rows}
    updated = run.finished.astimezone(UTC).strftime("%Y-%m-%d")
    description = said.description or (
        f"({TO_COMPLETE}: what the charge point is, its hardware and how it meets the"
        " Regulations)\n"
    )
    out = [
        "# Technical File",
        "",
        "The Electric Vehicles (Smart Charge Points) Regulations 2021",
        "",
        "This document is the technical file for the following charge point (make, model, serial"
        " number and software version as the charger reported them in its BootNotification):",
        "",
        "| | |",
        "|---|---|",
        f"| Charge point make | {_cell(head.make)} |",
        f"| Charge point model | {_cell(head.model)} |",
        f"| Serial number tested | {_cell(head.serial)} |",
        f"| Software version at point of sale | {_cell(head.software_version)} |",
        f"| Seller | {_cell(head.seller)} |",
        f"| Manufacturer(s) | {_cell(head.manufacturer)} |",
        f"| Last update to technical file | {updated} |",
        "",
        "## Description of the smart charge point",
        "",
        description,
        "## Operating manual",
        "",
        f"Available online with the software (soft copy): {said.manual or f'({TO_COMPLETE})'}.",
        f"Version: the documentation of software version {head.software_version}.",
        "",
        "## Technical solutions implemented to meet the requirements of the Regulations",
        "",
        "Each row gives the requirement, the solution adopted, and the verdict of the test that"
        " checks it. A row is written *Compliant* only when its test ran and passed.",
        "",
    ]
    for title, ids in SECTIONS:
        out += [f"### {title}", "", "| Requirement | Technical solution adopted | Verdict |"]
        out += ["|---|---|---|"]
        for r in ids:
            row = by_id[r]
            req = row.requirement
            verdict = row.verdict if row.compliant else f"{row.verdict}: {row.result.reason}"
            out.append(
                f"| **{req.id}** {_cell(req.title)}: {_cell(req.text)} | {_cell(row.solution)} |"
                f" **{_cell(verdict)}** |"
            )
        out.append("")
    out += [
        "## Test reports",
        "",
        f"Tests run by `smartcharge compliance run` against {run.target},"
        f" {run.started:%Y-%m-%d %H:%M} to {run.finished:%H:%M} UTC. Clock: {run.clock}."
        f" Samples: {'the shorter set' if run.fast else 'the full set (--full)'}."
        f" Configuration tested: {run.configuration}. Evidence files are"
        " relative to the run's output folder: the OCPP message log of each scenario"
        " (`evidence/*.jsonl`) and `results.json` with every check.",
        "",
        "| Name of test | Date of test | Outcome | Evidence | Notes |",
        "|---|---|---|---|---|",
    ]
    for row in all_rows:
        res = row.result
        date = f"{res.started:%Y-%m-%d}" if res.checks else "-"
        out.append(
            f"| {_cell(row.test_name)} | {date} | {res.outcome.value} | {_cell(_evidence(row))} |"
            f" {_cell(res.reason)} |"
        )
    out += ["", "## Statement of compliance", "", statement(run, head, all_rows), ""]
    return "\n".join(out)


def html(md: str, title: str = "Technical File") -> str:
    body = MarkdownIt("commonmark").enable("table").render(md)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>"
        "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px;"
        "vertical-align:top;font-size:90%}</style></head><body>\n"
        f"{body}</body></html>\n"
    )


_LATIN1 = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
)


def pdf(md: str) -> bytes:
    # fpdf2 cannot lay out markup nested in a table cell: the PDF gets the text without emphasis.
    plain = (
        md.translate(_LATIN1).replace("**", "").replace("`", "").replace("*Compliant*", "Compliant")
    )
    body = MarkdownIt("commonmark").enable("table").render(plain)
    body = body.encode("latin-1", "replace").decode("latin-1")
    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()
    doc.set_font("helvetica", size=8)
    doc.write_html(body)
    return bytes(doc.output())


def write(run: Run, out_dir: Path) -> list[Path]:
    """Write technical-file.md, .html and .pdf into `out_dir`; the paths written."""
    md = markdown(run)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "technical-file.md", out_dir / "technical-file.html"]
    paths[0].write_text(md, encoding="utf-8")
    paths[1].write_text(html(md), encoding="utf-8")
    pdf_path = out_dir / "technical-file.pdf"
    pdf_path.write_bytes(pdf(md))
    return [*paths, pdf_path]
