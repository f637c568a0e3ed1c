"""tinyjoule.host.runner."""
