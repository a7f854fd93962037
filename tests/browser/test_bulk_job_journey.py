"""A bulk PDF of more invoices than one chunk, in a real browser: htmx carries the job on
chunk after chunk, the progress bar fills, and the zip downloads (issue #13, item 15)."""

import re
import uuid
import zipfile

import pytest
from playwright.sync_api import expect

from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.browser


def test_bulk_pdfs_run_chunk_after_chunk_to_a_zip(page, login, live_app, tmp_path):
    tag = uuid.uuid4().hex[:6].upper()
    with live_app.app_context():
        customer = make_customer(name=f"Bulk {tag}")
        numbers = [make_invoice(customer, number=f"BJ-{tag}-{n}").number for n in range(8)]
    saved = live_app.config["BULK_CHUNK_SIZE"], live_app.instance_path
    live_app.config["BULK_CHUNK_SIZE"] = 3  # 8 invoices: three chunks
    live_app.instance_path = str(tmp_path / "instance")
    try:
        login()
        page.goto(f"/billing?q=BJ-{tag}")
        expect(page.locator('#invoice-results tbody input[name="ids"]')).to_have_count(8)
        page.locator('#invoice-results thead input[type="checkbox"]').check()  # select all
        page.get_by_role("button", name="Download PDFs (zip)").click()
        expect(page).to_have_url(re.compile(r"/invoices/bulk/jobs/[0-9a-f]{32}$"))
        expect(page.get_by_role("heading", name="PDFs of 8 invoices")).to_be_visible()
        # no click: each chunk's fragment asks for the next one
        expect(page.locator("#bulk-count")).to_have_text("8 of 8 invoices")
        expect(page.locator("#bulk-progress")).to_have_attribute("value", "8")
        expect(page.get_by_text("8 PDFs ready.")).to_be_visible()
        with page.expect_download() as info:
            page.get_by_role("link", name="Download invoices.zip").click()
        with zipfile.ZipFile(info.value.path()) as archive:
            assert sorted(archive.namelist()) == sorted(f"{number}.pdf" for number in numbers)
    finally:
        live_app.config["BULK_CHUNK_SIZE"], live_app.instance_path = saved
