"""Print what the validation harness costs: compiling each artefact once, then one document.

Run in a fresh process so nothing is compiled yet:
``.venv/bin/python -m tests.einvoice.bench``
"""

import statistics
import time

from tests.einvoice.samples import MINIMAL_CII, PEPPOL_EXAMPLES
from tests.einvoice.validation import FLAVOURS, precompile, validate

DOCUMENTS = {
    "peppol": (PEPPOL_EXAMPLES / "base-example.xml").read_bytes(),
    "xrechnung-ubl": (PEPPOL_EXAMPLES / "base-example.xml").read_bytes(),
    "cii": MINIMAL_CII,
    "xrechnung-cii": MINIMAL_CII,
    "facturx": MINIMAL_CII,
}
RUNS = 20


def main() -> None:
    """Print compile times per artefact, then first and median validation time per flavour."""
    started = time.perf_counter()
    print("compile (first use in this process; 0.000 = already compiled for an earlier flavour)")
    for flavour in FLAVOURS:
        for name, seconds in precompile(flavour).items():
            print(f"  {flavour:14} {name:40} {seconds:7.3f} s")
    print(f"  all artefacts: {time.perf_counter() - started:.3f} s")
    print(f"validate one document (first call, then median of {RUNS})")
    for flavour, xml in DOCUMENTS.items():
        timings = []
        for _ in range(RUNS + 1):
            began = time.perf_counter()
            validate(xml, flavour)
            timings.append(time.perf_counter() - began)
        print(f"  {flavour:14} {timings[0]:7.3f} s  {statistics.median(timings[1:]):7.3f} s")


if __name__ == "__main__":
    main()
