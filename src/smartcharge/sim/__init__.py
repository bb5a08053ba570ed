"""Simulation helpers shared by the demo, tests and benchmarks: clocks, EVs, fleets."""
