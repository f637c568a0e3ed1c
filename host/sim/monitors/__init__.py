"""The device side of simulated energy monitors: the same bytes as the real instruments."""
