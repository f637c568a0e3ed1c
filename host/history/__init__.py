"""The history of runs: every session indexed in a database (SQLite beside the sessions by
default, PostgreSQL for a lab), listed, filtered and compared. The session folders stay the
source of truth; the index can always be rebuilt from them."""
