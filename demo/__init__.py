"""Demo data for ``make run``, screenshots and the benchmarks: a believable MSP's last three
months (``build``) from fixed content (``content``). Built over ``billing``; nothing in the
app imports it but the CLI.
"""
