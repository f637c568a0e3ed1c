"""The ``tinyjoule`` command line: one sub-command per user task, no measurement logic."""
