"""Admin > Products: the catalog of services and goods."""

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from billing.catalog import product_query, save_product, tax_label
from billing.money import amount_text
from billing.settings import default_currency, get_settings
from blueprints.admin import bp
from blueprints.admin.forms import ProductForm
from blueprints.params import QueryArgs
from blueprints.saving import saving
from models import Product, TaxRate, db

PAGE_SIZE = 50
FIELDS = ("name", "sku", "description", "category", "taxable", "tax_rate_id", "active")


@bp.route("/products")
def products():
    """The catalog by name; ``?q=`` keeps those whose name or SKU contains it."""
    args = QueryArgs(request.args)
    search = args.raw("q")
    page = db.paginate(
        product_query(search).options(joinedload(Product.tax_rate)),
        page=args.page(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "admin/products.html", products=page, search=search, ignored=args.ignored
    )


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    """Add a product, priced in the default currency."""
    return _edit(None, ProductForm())


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    """Change a product (or deactivate it).

    :raise 404: no such product.
    """
    product = db.get_or_404(Product, product_id)
    if request.method == "GET":
        data = {name: getattr(product, name) for name in FIELDS}
        data["sku"] = product.sku or ""
        data["unit_price"] = amount_text(product.unit_price_minor, product.currency)
        return _edit(product, ProductForm(data=data))
    return _edit(product, ProductForm())


def _edit(product: Product | None, form: ProductForm):
    currency = default_currency(get_settings())
    form.tax_rate_id.choices = _tax_choices(product)
    if request.method == "POST":
        if form.validate_on_submit():
            with saving(form) as outcome:
                saved = save_product(
                    product,
                    unit_price=form.unit_price.data,
                    currency=currency,
                    **{name: form[name].data for name in FIELDS},
                )
            if outcome.ok:
                flash(f"Product {saved.name} saved.", "success")
                return redirect(url_for("admin.products"))
        return _page(product, form, currency), 422
    return _page(product, form, currency)


def _tax_choices(product: Product | None) -> list[SelectChoice]:
    """Active tax rates, plus the product's own if it has been deactivated since."""
    query = select(TaxRate).order_by(TaxRate.name)
    keep = product.tax_rate_id if product else None
    query = query.where(TaxRate.active.is_(True) | (TaxRate.id == keep))
    choices = [SelectChoice("", "The default tax rate")]
    for tax in db.session.scalars(query):
        label = tax_label(tax.name, tax.percent)
        choices.append(SelectChoice(str(tax.id), label if tax.active else f"{label}, inactive"))
    return choices


def _page(product: Product | None, form: ProductForm, currency: str) -> str:
    form.unit_price.label.text = f"Unit price ({currency})"
    example = amount_text(4990, currency)  # "49.90", "49,90" in the company's format
    return render_template("admin/product_form.html", product=product, form=form, example=example)
