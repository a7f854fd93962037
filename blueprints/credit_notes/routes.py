"""Issuing a credit note from an invoice, the credit note page, recording a refund from it, and
the Billing page's "Credit notes" tab.

Anyone who may see billing reads them; only admins issue credit notes and record refunds (403
otherwise). Both are plain POSTs that redirect to the credit note, so they work without
JavaScript; a refused input is 422 beside its field, a state that forbids it is 409, and
nothing is saved either way.
"""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from billing.credit_notes.issue import creditable_minor, issue_credit_note, line_remaining
from billing.credit_notes.lines import credit_note_totals
from billing.credit_notes.listing import credit_note_page
from billing.credit_notes.page import credit_note_refunds, invoice_tax_choices, load_credit_note
from billing.credit_notes.refunds import record_refund, refundable_minor
from billing.errors import BillingError, Conflict, ForbiddenChange, ValidationFailed
from billing.invoices.page import load_invoice
from billing.ledgers.records import ledger_states
from billing.money import amount_text
from billing.settings import company_locale
from blueprints.auth.access import admin_required
from blueprints.credit_notes import bp
from blueprints.credit_notes.forms import CreditNoteForm, RefundForm, credit_note_form
from blueprints.forms import show_error
from blueprints.params import QueryArgs
from blueprints.saving import saving
from blueprints.templating import current_settings, money
from clock import today
from models import CreditNote, Invoice, InvoiceStatus, PaymentMethod

CREDITABLE = (InvoiceStatus.SENT, InvoiceStatus.EXPORTED, InvoiceStatus.PAID)


def _ensure_creditable(invoice: Invoice) -> None:
    """:raise ForbiddenChange: a Draft or Refunded invoice. :raise Conflict: nothing is left
    to credit on it."""
    if invoice.status not in CREDITABLE:
        state = invoice.status.value.capitalize()
        raise ForbiddenChange(
            f"Invoice {invoice.number} is {state}: only a sent, exported or paid invoice is "
            "credited (a Draft is edited instead)."
        )
    if creditable_minor(invoice) <= 0:
        raise Conflict(f"Invoice {invoice.number} is credited in full already.")


def _form_page(invoice: Invoice, form: CreditNoteForm, status: int = 200):
    context = {
        "invoice": invoice,
        "form": form,
        "remaining": line_remaining(invoice),
        "creditable": creditable_minor(invoice),
    }
    return render_template("credit_notes/new.html", **context), status


def _show(form: CreditNoteForm, error: BillingError) -> None:
    """Beside its field; "lines" (no line chosen) above the lines table."""
    if getattr(error, "field", None) == "lines":
        form.lines_error = str(error)
    else:
        show_error(form, error)


@bp.route("/invoices/<int:invoice_id>/credit-notes/new", methods=["GET", "POST"])
@admin_required
def new(invoice_id: int):
    """Issue a credit note against the invoice: the whole of it, chosen lines (a quantity per
    line, ``qty_<line id>``) or an amount at one of its tax rates; a reason, a date (today by
    default).

    :raise 404: no such invoice. :raise 409: a Draft or Refunded invoice, or nothing left to
        credit. :raise 422: invalid (the form again, nothing saved).
    """
    invoice = load_invoice(invoice_id)
    _ensure_creditable(invoice)
    lines = list(invoice.lines)
    rates = invoice_tax_choices(invoice)
    if request.method == "GET":
        kind = "lines" if invoice.credited_minor else "whole"
        data = {"kind": kind, "issue_date": today()}
        form = credit_note_form(lines, formdata=None, data=data)
        form.offer_rates(rates)
        return _form_page(invoice, form)
    form = credit_note_form(lines)
    form.offer_rates(rates)
    if not form.validate_on_submit():
        return _form_page(invoice, form, 422)
    locale = company_locale(current_settings())
    kind = form.kind.data or ""
    with saving(form, refused=(ValidationFailed, Conflict), show=_show) as outcome:
        chosen = form.chosen_quantities(locale) if kind == "lines" else None
        amount = form.amount_minor(invoice.currency, locale) if kind == "amount" else None
        note = issue_credit_note(
            invoice, kind=kind, reason=form.reason.data or "", user=current_user,
            issue_date=form.issue_date.data, lines=chosen, amount_minor=amount,
            tax_rate_id=form.tax_rate.data if kind == "amount" else None,
        )  # fmt: skip
    if not outcome.ok:
        return _form_page(load_invoice(invoice_id), form, outcome.status)
    flash(_issued(note, load_invoice(invoice_id)), "success")
    return redirect(url_for("credit_notes.detail", credit_note_id=note.id))


def _issued(note: CreditNote, invoice: Invoice) -> str:
    """What issuing did, in words, for the flash."""
    currency = note.currency
    said = (
        f"Credit note {note.number} of {money(note.total_minor, currency)} issued for invoice "
        f"{invoice.number}: balance due {money(invoice.balance_minor, currency)}."
    )
    if note.released_minor:
        said += (
            f" {money(note.released_minor, currency)} already paid is now "
            f"{invoice.bill_to_name}'s credit: refund it below, or apply it to another invoice."
        )
    return said


def credit_note_page_response(
    credit_note: CreditNote, *, status: int = 200, refund_form: RefundForm | None = None
):
    """The credit note page; ``refund_form`` shows a refused refund with its errors."""
    refundable = refundable_minor(credit_note)
    if refund_form is None and refundable > 0:
        locale = company_locale(current_settings())
        data = {
            "refund_date": today(),
            "amount": amount_text(refundable, credit_note.currency, locale),
            "method": PaymentMethod.BANK.value,
        }
        refund_form = RefundForm(formdata=None, data=data)
    refunds = credit_note_refunds(credit_note)
    context = {
        "credit_note": credit_note,
        "invoice": credit_note.invoice,
        "totals": credit_note_totals(credit_note),
        "refunds": refunds,
        "ledger_states": ledger_states(refunds, [credit_note]),
        "refundable": refundable,
        "refund_form": refund_form,
    }
    return make_response(render_template("credit_notes/detail.html", **context), status)


@bp.route("/credit-notes/<int:credit_note_id>")
def detail(credit_note_id: int):
    """The credit note page: its lines, tax per rate, total, reason, what became the
    customer's credit, and the refunds paid from it. :raise 404:"""
    return credit_note_page_response(load_credit_note(credit_note_id))


@bp.route("/credit-notes/<int:credit_note_id>/refund", methods=["POST"])
@admin_required
def refund(credit_note_id: int):
    """Record a refund (a payment out) of what the credit note made the customer's credit:
    date, amount (what is refundable by default), method, reference, note.

    :raise 404: no such credit note. :raise 409: nothing refundable. :raise 422: invalid
        (beside the field, nothing saved).
    """
    credit_note = load_credit_note(credit_note_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return credit_note_page_response(credit_note, status=422, refund_form=form)
    locale = company_locale(current_settings())
    with saving(form, refused=(ValidationFailed, Conflict)) as outcome:
        amount = form.amount_minor(credit_note.currency, locale)
        record_refund(
            credit_note, form.refund_date.data, amount, form.method.data,
            form.reference.data or "", form.note.data or "", current_user,
        )  # fmt: skip
    if not outcome.ok:
        credit_note = load_credit_note(credit_note_id)
        return credit_note_page_response(credit_note, status=outcome.status, refund_form=form)
    credit_note = load_credit_note(credit_note_id)
    said = (
        f"Refund of {money(amount, credit_note.currency)} recorded for credit note "
        f"{credit_note.number}."
    )
    if credit_note.invoice.status == InvoiceStatus.REFUNDED:
        said += f" Invoice {credit_note.invoice.number} is now Refunded."
    flash(said, "success")
    return redirect(url_for("credit_notes.detail", credit_note_id=credit_note_id))


@bp.route("/billing/credit-notes")
def index():
    """The Billing page's "Credit notes" tab: newest first, 50 a page, searched by number or
    customer (``q``)."""
    args = QueryArgs(request.args)
    search = args.raw("q")
    page = credit_note_page(search, args.page())
    return render_template("credit_notes/index.html", page=page, q=search, ignored=args.ignored)
