"""From monitor stream to microjoules: stream items, window integration, the pump thread and
the trace file."""
