"""Run every benchmark module (or those named on the command line) and print a table of figures.

    python -m benchmarks                 # all
    python -m benchmarks estimation      # only bench_estimation.py
    python -m benchmarks --quick         # smaller sizes, for a smoke run
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    wanted = [a for a in argv if not a.startswith("-")]
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if wanted:
        names = [n for n in names if n.removeprefix("bench_") in wanted]
    out_dir = here / "results"
    out_dir.mkdir(exist_ok=True)
    console = Console()
    table = Table(title="Lantern benchmarks")
    for col in ("benchmark", "figure", "value", "target", "ok"):
        table.add_column(col)
    failed = False
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        console.print(f"[bold]running {name}…[/]")
        started = time.perf_counter()
        rows = module.run(quick=quick)
        (out_dir / f"{name}.json").write_text(json.dumps(rows, indent=2, default=str))
        for row in rows:
            ok = row.get("ok")
            failed |= ok is False
            table.add_row(name, row["name"], str(row.get("value", row.get("median_s"))), str(row.get("target", "")),
                          "" if ok is None else ("yes" if ok else "NO"))
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    console.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
