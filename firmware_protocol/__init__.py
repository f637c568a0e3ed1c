"""The wire protocols tinyjoule speaks, both ends: host codecs and device-side state machines."""
