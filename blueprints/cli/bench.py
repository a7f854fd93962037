"""``flask --app app bench-data``: fill an empty database with the benchmarks' MSP history."""

import time

import click
from flask import Blueprint

bench_cli = Blueprint("bench", __name__, cli_group=None)


@bench_cli.cli.command("bench-data")
@click.option("--customers", default=200, show_default=True, help="Customers.")
@click.option("--months", default=24, show_default=True, help="Months of history (one batch each).")
@click.option("--contracts", default=1000, show_default=True, help="Contracts, of every type.")
@click.option("--tickets", default=50_000, show_default=True, help="Tickets.")
@click.option("--entries", default=250_000, show_default=True, help="Time entries.")
@click.option("--invoices", default=100_000, show_default=True, help="Invoices.")
@click.option("--lines", default=1_000_000, show_default=True, help="Invoice lines in total.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
def bench_data_command(**counts: int) -> None:
    """Fill an EMPTY database with a realistic MSP history for the benchmarks (bulk load)."""
    from bench.generate import DatabaseNotEmpty, generate

    started = time.perf_counter()
    try:
        written = generate(**counts)
    except (DatabaseNotEmpty, ValueError) as error:
        raise click.ClickException(str(error)) from None
    for name, value in written.items():
        click.echo(f"{name:>22}: {value:,}")
    click.echo(f"Generated in {time.perf_counter() - started:.1f} s.")
