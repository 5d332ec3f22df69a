"""GinChat's benchmarks (issue 5): ``python -m bench`` / ``make bench``.
See BENCHMARKS.md for the scenarios, the figures and how to rerun them."""
