"""Shared test configuration."""

import os

# A fixed test key for the encrypted identifier fields; never used outside tests.
os.environ.setdefault("LANTERN_FIELD_KEYS", "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
