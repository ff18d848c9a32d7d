"""Shared test configuration."""

import os

# Fixed test keys for the encrypted identifier fields and the blind index; never used outside tests.
os.environ.setdefault("LANTERN_FIELD_KEYS", "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")
os.environ.setdefault("LANTERN_INDEX_KEY", "test-index-key-not-secret")


def pytest_configure(config):
    # Compile the platform's .po catalogues (Babel; no msgfmt needed) before Django loads translations.
    try:
        from lantern.platform.runtime import compile_messages
    except ImportError:  # pragma: no cover - platform not installed
        return
    compile_messages()
