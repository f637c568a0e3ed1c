"""The host side of tinyjoule: bench, runner, simulator, results and the command line."""
