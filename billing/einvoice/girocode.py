"""The EPC QR code ("GiroCode") that banking apps scan to fill in a SEPA credit transfer.

The payload follows EPC069-12 version 002 and is written here, not by segno's helper, so that
its exact text is ours to test: the lines below joined by "\\n", without a trailing one.

====  =============================  ==========================================================
Line  Element                        Written
====  =============================  ==========================================================
1     Service tag                    ``BCD``
2     Version                        ``002`` (the BIC is optional inside the EEA)
3     Character set                  ``1`` (UTF-8), whatever the text
4     Identification                 ``SCT`` (SEPA credit transfer)
5     BIC                            8 or 11 characters, or empty
6     Beneficiary name               at most 70 characters
7     IBAN                           compact (no spaces)
8     Amount                         ``EUR`` + the amount with two decimals: ``EUR1234.50``
9     Purpose                        empty
10    Structured remittance (RF)     empty
11    Unstructured remittance        the invoice number, at most 140 characters
====  =============================  ==========================================================

Line 12 (beneficiary-to-originator information) is optional and left out. segno draws the
code at error level M, as the standard requires.
"""

import base64
from decimal import Decimal
from io import BytesIO

import segno
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

MIN_MINOR = 1  # EUR 0.01
MAX_MINOR = 99_999_999_999  # EUR 999,999,999.99
MAX_NAME = 70
MAX_REMITTANCE = 140
MAX_PAYLOAD_BYTES = 331  # what fits a version 13 code at level M, the largest allowed
QR_SCALE = 4  # pixels per module: sharp at the 3 cm the PDF prints, small in the file


def epc_payload(
    name: str, iban: str, amount_minor: int, currency: str, remittance: str, bic: str = ""
) -> str | None:
    """The EPC069-12 text for paying ``amount_minor`` cents to ``iban``, or None when there is
    nothing a banking app could pay: not EUR, no (valid) IBAN, or an amount outside
    0.01–999,999,999.99. The name is cut to 70 characters, the remittance to 140; an invalid
    BIC is left out (version 002 lets the bank find it from the IBAN)."""
    if currency != "EUR" or not MIN_MINOR <= amount_minor <= MAX_MINOR:
        return None
    account = _compact_iban(iban)
    if not account:
        return None
    amount = Decimal(amount_minor).scaleb(-2)
    name, remittance = _one_line(name)[:MAX_NAME], _one_line(remittance)[:MAX_REMITTANCE]
    while True:
        lines = ["BCD", "002", "1", "SCT", _compact_bic(bic), name, account]
        payload = "\n".join([*lines, f"EUR{amount:.2f}", "", "", remittance])
        # Only a name in four-byte characters could overflow; shorten it until it fits.
        if len(payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES or not name:
            return payload
        name = name[:-1]


def girocode_png(payload: str) -> bytes:
    """``payload`` as a QR code in PNG (error level M, UTF-8 bytes, a four-module quiet zone)."""
    code = segno.make_qr(payload.encode("utf-8"), error="m", mode="byte", boost_error=False)
    out = BytesIO()
    code.save(out, kind="png", scale=QR_SCALE, border=4)
    return out.getvalue()


def girocode_data_uri(payload: str) -> str:
    """:func:`girocode_png` as a ``data:image/png;base64,…`` URI, for the PDF templates."""
    return f"data:image/png;base64,{base64.b64encode(girocode_png(payload)).decode('ascii')}"


def formatted_iban(iban: str) -> str:
    """An IBAN in groups of four for reading (``DE89 3704 0044 0532 0130 00``); as given when
    schwifty cannot read it."""
    try:
        return IBAN(iban).formatted
    except SchwiftyException:
        return (iban or "").strip()


def _compact_iban(iban: str) -> str:
    # Stored IBANs were checked when entered; one that no longer reads gives no code at all,
    # since a transfer to it would bounce.
    try:
        return IBAN((iban or "").strip()).compact if (iban or "").strip() else ""
    except SchwiftyException:
        return ""


def _compact_bic(bic: str) -> str:
    try:
        return BIC((bic or "").strip()).compact if (bic or "").strip() else ""
    except SchwiftyException:
        return ""


def _one_line(text: str) -> str:
    # A line break would shift every element after it.
    return " ".join((text or "").split())
