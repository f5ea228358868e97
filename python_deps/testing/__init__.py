"""What the tests and the benchmarks both run beside the product, and nothing the product runs: a
second Docker engine with an empty store (a cold node's pull) and a registry on loopback. Here,
not in tests/, because benchmarks/ must not import from tests/."""
