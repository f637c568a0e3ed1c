"""Session folders: what a run measured, written as it goes."""
