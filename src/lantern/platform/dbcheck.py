"""Exit 0 when the PostgreSQL database at the URL given answers, 1 otherwise (used by `make test`)."""

from __future__ import annotations

import sys


def main(url: str) -> int:
    try:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/test"))
