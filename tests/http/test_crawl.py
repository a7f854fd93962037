"""Acceptance of #13: a logged-in crawl of the whole demo app, posting hostile values into every
form field and query parameter, meets no 5xx (on SQLite and PostgreSQL)."""

from datetime import date

import pytest
import sqlalchemy as sa

from demo.build import seed_demo
from models import ContractService, ContractUnitCount, Expense, db
from tests.crawl import Crawl

TODAY = date(2026, 12, 3)


@pytest.fixture
def app_config():
    return {"BILLING_TODAY": TODAY.isoformat()}


@pytest.fixture
def starts(app, runner) -> list[str]:
    """The demo MSP with November billed, as an owner has it a few days into December; the
    crawl starts at home and at the pages whose forms a link-by-link walk may not reach."""
    seed_demo(TODAY)
    db.session.commit()
    billed = runner.invoke(
        args=["batches", "create", "--start", "2026-11-01", "--end", "2026-11-30"]
    )
    assert billed.exit_code == 0, billed.output
    first = lambda column: db.session.scalar(sa.select(column).limit(1))  # noqa: E731
    return [
        "/",
        f"/tickets/{first(Expense.ticket_id)}",
        f"/contracts/{first(ContractService.contract_id)}",
        f"/contracts/{first(ContractUnitCount.contract_id)}",
    ]


def test_a_hostile_crawl_of_every_page_and_form_meets_no_server_error(starts, admin_client):
    crawl = Crawl(admin_client)
    crawl.follow(*starts)
    assert len(crawl.seen) > 45, sorted(crawl.seen)  # the crawl really reached the app
    assert len(crawl.forms) > 45, sorted(crawl.forms)
    crawl.fuzz_queries()
    crawl.fuzz_forms()
    assert crawl.failures == [], "\n".join(crawl.failures[:60])


def test_a_technicians_hostile_crawl_meets_no_server_error(starts, tech_client):
    crawl = Crawl(tech_client)
    crawl.follow(*starts)
    assert len(crawl.seen) > 10, sorted(crawl.seen)
    crawl.fuzz_queries()
    crawl.fuzz_forms()
    assert crawl.failures == [], "\n".join(crawl.failures[:60])
