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

from smartcharge import __version__
from smartcharge.compliance.results import Outcome
from smartcharge.compliance.runner import Run
from smartcharge.compliance.technical_file.content import (
    DESCRIPTION,
    MANUAL_LINK,
    SECTIONS,
    SOLUTIONS,
)
from smartcharge.compliance.technical_file.rows import Row
from smartcharge.regulations.catalogue import get


@dataclass(frozen=True)
class Product:
    make: str = "smartcharge"
    model: str = "smartcharge-sim"
    software_version: str = __version__
    seller: str = "the smartcharge project"
    manufacturer: str = "-"


def rows(run: Run) -> list[Row]:
    return [Row.of(get(r), SOLUTIONS[r], run.results[r]) for _, ids in SECTIONS for r in ids]


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


def statement(run: Run, product: Product, all_rows: list[Row]) -> str:
    open_rows = [r for r in all_rows if r.result.outcome in (Outcome.FAIL, Outcome.NOT_RUN)]
    manual = [r.requirement.id for r in all_rows if r.result.outcome is Outcome.MANUAL]
    who = f"{product.make} {product.model}, software version {product.software_version}"
    if open_rows:
        text = (
            f"{product.seller} does **not** state that the {who} complies with the Electric"
            " Vehicles (Smart Charge Points) Regulations 2021: the following requirements are"
            " not demonstrated by a passing test: "
            + ", ".join(f"{r.requirement.id} ({r.result.outcome.value})" for r in open_rows)
            + "."
        )
    else:
        text = (
            f"{product.seller} states that the {who} complies with the Electric Vehicles (Smart"
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


def markdown(run: Run, product: Product | None = None) -> str:
    product = product or Product()
    all_rows = rows(run)
    by_id = {r.requirement.id: r for r in all_rows}
    updated = run.finished.astimezone(UTC).strftime("%Y-%m-%d")
    out = [
        "# Technical File",
        "",
        "The Electric Vehicles (Smart Charge Points) Regulations 2021",
        "",
        "This document is the technical file for the following charge point:",
        "",
        "| | |",
        "|---|---|",
        f"| Charge point make | {product.make} |",
        f"| Charge point model | {product.model} |",
        f"| Software version at point of sale | {product.software_version} |",
        f"| Seller | {product.seller} |",
        f"| Manufacturer(s) | {product.manufacturer} |",
        f"| Last update to technical file | {updated} |",
        "",
        "## Description of the smart charge point",
        "",
        DESCRIPTION,
        "## Operating manual",
        "",
        f"Available online with the software (soft copy): {MANUAL_LINK}.",
        f"Version: the documentation of software version {product.software_version}.",
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
        f" {run.started:%Y-%m-%d %H:%M} to {run.finished:%H:%M} UTC"
        f" ({'fast mode, simulated clock' if run.fast else 'full mode'}). Evidence files are"
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
    out += ["", "## Statement of compliance", "", statement(run, product, all_rows), ""]
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


def write(run: Run, out_dir: Path, product: Product | None = None) -> list[Path]:
    """Write technical-file.md, .html and .pdf into `out_dir`; the paths written."""
    md = markdown(run, product)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "technical-file.md", out_dir / "technical-file.html"]
    paths[0].write_text(md, encoding="utf-8")
    paths[1].write_text(html(md), encoding="utf-8")
    pdf_path = out_dir / "technical-file.pdf"
    pdf_path.write_bytes(pdf(md))
    return [*paths, pdf_path]
