"""Benchmarks of the billing app at MSP scale (``make bench``; never part of ``make test``).

``bench.generate`` fills a database with a realistic history; ``python -m bench`` measures the
figures of the benchmarks issue and writes them, beside their targets, to ``bench/results.md``.
"""
