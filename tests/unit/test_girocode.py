"""The EPC QR code ("GiroCode"): its EPC069-12 payload, and the PNG that zbarimg reads back."""

import base64
import io
import shutil
import subprocess

import pytest
from PIL import Image

from billing.einvoice.girocode import (
    MAX_PAYLOAD_BYTES,
    epc_payload,
    formatted_iban,
    girocode_data_uri,
    girocode_png,
)

IBAN = "DE02120300000000202051"
BIC = "BYLADEM1001"


def decoded(png: bytes) -> str:
    """What zbarimg reads from ``png``, as UTF-8. ``-Sbinary``: the bytes as stored; without it
    zbar guesses a charset and may read UTF-8 "ü" as Shift JIS."""
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: apt-get install zbar-tools"
    result = subprocess.run(
        [zbarimg, "--raw", "-q", "-Sbinary", "-"], input=png, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def test_the_payload_of_a_known_invoice():
    payload = epc_payload("Beispiel IT GmbH", IBAN, 71400, "EUR", "RE-2026-0042", BIC)
    assert payload == (
        "BCD\n002\n1\nSCT\nBYLADEM1001\nBeispiel IT GmbH\nDE02120300000000202051\n"
        "EUR714.00\n\n\nRE-2026-0042"
    )


def test_iban_and_bic_are_compacted_and_the_bic_is_optional():
    spaced = epc_payload("Beispiel IT GmbH", "de02 1203 0000 0000 2020 51", 5, "EUR", "R-1", "")
    assert spaced.splitlines()[4:8] == ["", "Beispiel IT GmbH", IBAN, "EUR0.05"]
    lower_bic = epc_payload("X", IBAN, 5, "EUR", "R-1", " byladem1001 ")
    assert lower_bic.splitlines()[4] == BIC
    assert epc_payload("X", IBAN, 5, "EUR", "R-1", "NOT A BIC").splitlines()[4] == ""


def test_name_and_remittance_are_cut_to_the_standard_lengths():
    payload = epc_payload("N" * 71, IBAN, 100, "EUR", "R" * 141)
    lines = payload.split("\n")
    assert lines[5] == "N" * 70
    assert lines[10] == "R" * 140
    assert len(lines) == 11 and not payload.endswith("\n")


def test_line_breaks_in_a_name_do_not_shift_the_lines():
    payload = epc_payload("Bright IT\nGmbH\r\n", IBAN, 100, "EUR", "RE 1\n")
    assert payload.split("\n")[5] == "Bright IT GmbH"
    assert payload.split("\n")[10] == "RE 1"


def test_a_name_in_four_byte_characters_is_shortened_to_fit_the_code():
    payload = epc_payload("😀" * 70, IBAN, 100, "EUR", "R" * 140, BIC)
    assert len(payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES
    assert payload.split("\n")[5].startswith("😀") and len(payload.split("\n")[5]) < 70


@pytest.mark.parametrize("currency", ["USD", "GBP", "CHF", "eur", ""])
def test_only_euro_is_paid_by_girocode(currency):
    assert epc_payload("Bright IT", IBAN, 100, currency, "R-1", BIC) is None


@pytest.mark.parametrize("iban", ["", "   ", None, "DE02120300000000202052", "XX00"])
def test_no_valid_iban_no_code(iban):
    assert epc_payload("Bright IT", iban, 100, "EUR", "R-1", BIC) is None


@pytest.mark.parametrize(
    ("minor", "amount"),
    [
        (0, None),
        (-100, None),
        (1, "EUR0.01"),
        (10, "EUR0.10"),
        (123450, "EUR1234.50"),
        (99_999_999_999, "EUR999999999.99"),
        (100_000_000_000, None),
    ],
)
def test_amount_bounds_and_two_decimals(minor, amount):
    payload = epc_payload("Bright IT", IBAN, minor, "EUR", "R-1")
    assert (payload.split("\n")[7] if payload else None) == amount


def test_the_png_decodes_to_the_payload():
    payload = epc_payload("Müller & Söhne GmbH", IBAN, 123450, "EUR", "RE-2026-0042", BIC)
    png = girocode_png(payload)
    assert png.startswith(b"\x89PNG")
    assert decoded(png) == payload


def test_the_largest_payload_fits_a_version_13_code_at_level_m():
    payload = epc_payload("Ü" * 70, IBAN, 99_999_999_999, "EUR", "R" * 140, "BYLADEM1XXX")
    assert len(payload.encode("utf-8")) == MAX_PAYLOAD_BYTES - 1
    png = girocode_png(payload)
    # Version 13 is 69 modules wide, plus a quiet zone of 4 each side, at 4 pixels a module;
    # a level above M would need a larger version.
    assert Image.open(io.BytesIO(png)).size == ((69 + 8) * 4,) * 2
    assert decoded(png) == payload


def test_the_data_uri_carries_the_png():
    payload = epc_payload("Bright IT", IBAN, 100, "EUR", "R-1")
    uri = girocode_data_uri(payload)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri.removeprefix(prefix)) == girocode_png(payload)


@pytest.mark.parametrize(
    ("iban", "shown"),
    [(IBAN, "DE02 1203 0000 0000 2020 51"), ("be68539007547034", "BE68 5390 0754 7034")],
)
def test_the_iban_is_printed_in_groups_of_four(iban, shown):
    assert formatted_iban(iban) == shown
