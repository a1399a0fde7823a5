"""Benchmarks for penna: synthetic vaults and the measurements run against them."""
