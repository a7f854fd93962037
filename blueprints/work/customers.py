"""Customers: the searchable list, the customer page, and the form admins create and edit with."""

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from billing.einvoice.buyer import FORMATS, BuyerDetails, buyer_problems, country_names
from billing.einvoice.identifiers import ENDPOINT_SCHEMES
from billing.errors import ValidationFailed
from billing.payments.customer import customer_money
from billing.settings import (
    check_currency,
    company_locale,
    currency_choices,
    default_currency,
    get_settings,
)
from billing.work.customers import (
    GROUPINGS,
    MAX_NAME,
    STATUSES,
    CustomerData,
    check_name,
    currency_lock_reason,
    customer_contracts,
    customer_query,
    customer_work,
    parse_billing_emails,
    recent_invoices,
    save_customer,
    unbilled_totals_by_customer,
)
from blueprints.auth.access import admin_required
from blueprints.forms import rule, strip
from blueprints.params import QueryArgs
from blueprints.saving import saving
from blueprints.templating import current_settings
from blueprints.work import bp
from clock import today as billing_today
from extensions import htmx
from models import Customer, db

PAGE_SIZE = 50
EINVOICE_FIELDS = (
    "country", "vat_id", "endpoint_id", "endpoint_scheme", "buyer_reference", "einvoice_format",
)  # fmt: skip
FIELDS = (
    "name", "billing_emails", "address", "tax_exempt", "currency", "active", "notes",
    "invoice_grouping", "reminders_opt_out", *EINVOICE_FIELDS,
)  # fmt: skip


class CustomerForm(FlaskForm):
    """The customer form; ``customer`` is the one being edited (None for a new one).

    Field names match the ``field`` of the errors :mod:`billing.work.customers` raises.
    """

    name = StringField(
        "Name",
        [
            DataRequired(message="Enter a name."),
            Length(max=MAX_NAME, message=f"Use at most {MAX_NAME} characters."),
        ],
        filters=[strip],
    )
    billing_emails = TextAreaField("Billing emails", [rule(parse_billing_emails)])
    address = TextAreaField("Address", [Length(max=2000)])
    # Checked by the rule (validate_currency), so an unknown code gets the same message as
    # from billing.
    currency = SelectField(
        "Currency", [InputRequired(message="Choose a currency.")], validate_choice=False
    )
    tax_exempt = BooleanField("Tax exempt (no tax on this customer's invoices)")
    reminders_opt_out = BooleanField("No reminders (never email this customer overdue reminders)")
    invoice_grouping = SelectField(
        "Invoices",
        choices=[SelectChoice(value, label) for value, label in GROUPINGS.items()],
        default="contract",
        validate_choice=False,
    )
    active = BooleanField("Active", default=True)
    notes = TextAreaField("Notes", [Length(max=5000)])
    # E-invoicing: checked together by billing.einvoice.buyer (see validate), as the format
    # decides which of them are needed. Unknown choices are refused there, not by WTForms.
    country = SelectField("Country (BT-55)", validate_choice=False)
    vat_id = StringField("VAT number (BT-48)", filters=[strip])
    endpoint_id = StringField("Electronic address (BT-49)", filters=[strip])
    endpoint_scheme = SelectField(
        "Electronic address scheme",
        choices=[SelectChoice("", "None")]
        + [SelectChoice(code, f"{code} – {label}") for code, label in ENDPOINT_SCHEMES],
        default="",
        validate_choice=False,
    )
    buyer_reference = StringField("Buyer reference (BT-10)", filters=[strip])
    einvoice_format = SelectField(
        "Invoices by email as",
        choices=[SelectChoice(value, label) for value, label in FORMATS.items()],
        default="pdf",
        validate_choice=False,
    )

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        kept = customer.currency if customer else None
        self.currency.choices = [
            SelectChoice(code, f"{code} – {name}") for code, name in currency_choices(kept).items()
        ]
        names = country_names(str(company_locale(current_settings())))
        self.country.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, name) for code, name in names.items()
        ]

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then every e-invoicing rule the details break, each beside
        its field (a field that already shows an error keeps only that one)."""
        valid = super().validate(extra_validators)
        named = (*EINVOICE_FIELDS, "address")
        details = BuyerDetails(**{name: self[name].data or "" for name in named})
        _, problems = buyer_problems(details, get_settings())
        for problem in problems:
            field = self._fields.get(problem.field)
            if field is None:
                self.form_errors = [*self.form_errors, str(problem)]
            elif not field.errors:
                field.errors = [str(problem)]
        return valid and not problems

    def validate_currency(self, field: SelectField) -> None:
        """A current currency, or the one the customer has already (even if no longer current)."""
        kept = self.customer.currency if self.customer else None
        try:
            check_currency(field.data, field="currency", kept=kept)
        except ValidationFailed as error:
            raise ValidationError(str(error)) from None

    def validate_name(self, field: StringField) -> None:
        """A taken name shows along with the other fields' errors, not after them."""
        if field.errors:
            return
        try:
            check_name(field.data, self.customer.id if self.customer else None)
        except ValidationFailed as error:
            raise ValidationError(str(error)) from None


@bp.route("/customers")
def customers():
    """Customers by name, a page at a time, with their unbilled work.

    ``?q=`` keeps those whose name contains it; ``?status=`` is active (the default),
    inactive or all. An htmx request (not boosted, not a history restore) gets only the
    results fragment.
    """
    args = QueryArgs(request.args)
    search = args.raw("q")
    status = args.choice("status", STATUSES, default="active")
    page = db.paginate(
        customer_query(search, status),
        page=args.page(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    context = {
        "customers": page,
        "unbilled": unbilled_totals_by_customer(customer.id for customer in page.items),
        "search": search,
        "status": status,
        "ignored": args.ignored,
    }
    # A history restore after a cache miss also sends HX-Request, but needs the whole page.
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        response = make_response(render_template("work/_customer_rows.html", **context))
    else:
        response = make_response(render_template("work/customers.html", **context))
    response.vary.add("HX-Request")
    return response


@bp.route("/customers/<int:customer_id>")
def customer(customer_id: int):
    """A customer: billing details, contracts, open and unbilled work, newest invoices; to
    those who see billing, its payments, credit and the activity of its invoices.

    :raise 404: no such customer.
    """
    return customer_page(db.get_or_404(Customer, customer_id))


def customer_page(customer: Customer, status: int = 200, **extra):
    """The customer page with ``status``; ``extra`` goes to the template (``credit_error``:
    why applying credit was refused). Its payments only to those who see billing."""
    invoices, invoice_count = recent_invoices(customer)
    page = render_template(
        "work/customer.html",
        customer=customer,
        contracts=customer_contracts(customer),
        work=customer_work(customer),
        invoices=invoices,
        invoice_count=invoice_count,
        today=billing_today(),
        money=customer_money(customer.id) if current_user.sees_billing else None,
        statement_link="reports.statement" in current_app.view_functions,
        receivables_link="reports.receivables" in current_app.view_functions,
        **{"credit_error": None, **extra},
    )
    return page, status


@bp.route("/customers/new", methods=["GET", "POST"])
@admin_required
def customer_new():
    """Add a customer, billed in the default currency unless another is chosen (admins)."""
    if request.method == "GET":
        settings = current_settings()
        data = {"currency": default_currency(settings), "active": True, "country": settings.country}
        return _edit(None, CustomerForm(data=data))
    return _edit(None, CustomerForm(customer=None))


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@admin_required
def customer_edit(customer_id: int):
    """Change a customer's details (admins).

    :raise 404: no such customer.
    """
    customer = db.get_or_404(Customer, customer_id)
    if request.method == "GET":
        data = {name: getattr(customer, name) for name in FIELDS}
        data["billing_emails"] = "\n".join(customer.email_list)
        return _edit(customer, CustomerForm(data=data, customer=customer))
    return _edit(customer, CustomerForm(customer=customer))


def _edit(customer: Customer | None, form: CustomerForm):
    if request.method == "GET":
        return _page(customer, form)
    status = 422
    if form.validate_on_submit():
        try:
            with saving(form) as outcome:
                saved = save_customer(customer, CustomerData(**{f: form[f].data for f in FIELDS}))
        except IntegrityError:
            # Only the name is unique: someone else saved the same name meanwhile.
            db.session.rollback()
            form.name.errors = [*form.name.errors, "Another customer has this name."]
        else:
            if outcome.ok:
                flash(f"Customer {saved.name} saved.", "success")
                return redirect(url_for("work.customer", customer_id=saved.id))
            status = outcome.status  # 409 for a change the customer's history forbids
    return _page(customer, form), status


def _page(customer: Customer | None, form: CustomerForm) -> str:
    lock = currency_lock_reason(customer) if customer else None
    return render_template("work/customer_form.html", customer=customer, form=form, lock=lock)
