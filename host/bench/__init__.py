"""What a bench is and how it is opened: its description (URLs, board file) and the backends."""
