"""The modes (energy, performance, accuracy) and the MLPerf Tiny rules that drive a run."""
