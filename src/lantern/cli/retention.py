"""`lantern retention due` and `lantern retention apply`: case files past their agency's retention period.

Meant for a daily cron job, e.g. (at 02:30, as the user that runs the platform, with its environment)::

    30 2 * * *  cd /srv/lantern && .venv/bin/lantern retention apply >> var/retention.log 2>&1
"""

from __future__ import annotations

import datetime as dt

import typer

app = typer.Typer(help="Retention periods: case files erased after their agency's period without activity.",
                  no_args_is_help=True)

_WHY = {"legal_hold": "kept: legal hold", "accepted_referral": "kept: accepted referral"}


def _agencies(key: str | None):
    from lantern.errors import LanternError
    from lantern.platform.accounts.models import Agency

    if key is None:
        return list(Agency.objects.order_by("key"))
    agency = Agency.objects.filter(key=key).first()
    if agency is None:
        raise LanternError(f"no agency with key {key!r}", field="--agency")
    return [agency]


def _today(value: str | None) -> dt.date | None:
    from lantern.errors import LanternError

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise LanternError("must be a date as YYYY-MM-DD", field="--today") from None


_AGENCY = typer.Option(None, "--agency", help="One agency's key (default: every agency).")
_TODAY = typer.Option(None, "--today", help="Compute as of this date (YYYY-MM-DD; default: today).")


@app.command("due")
def due(agency: str | None = _AGENCY, today: str | None = _TODAY) -> None:
    """List the cases due for erasure (pseudonyms only), and the ones a legal hold or an accepted referral keeps."""
    from lantern.cli.platform import _setup

    _setup()
    from rich.table import Table

    from lantern.cli._common import console
    from lantern.platform.retention.services import policy_days, retention_due

    day = _today(today)
    table = Table("agency", "days", "pseudonym", "last activity", "due on", "status")
    n = 0
    for a in _agencies(agency):
        days = policy_days(a)
        for case in retention_due(agency=a, today=day):
            table.add_row(a.key, str(days), case.ref, f"{case.last_activity:%Y-%m-%d}", case.due_on.isoformat(),
                          _WHY.get(case.blocked, "due"))
            n += 1
    console.print(table if n else "no case is due", highlight=False)


@app.command("apply")
def apply(agency: str | None = _AGENCY, dry_run: bool = typer.Option(False, "--dry-run", help="Report, write nothing."),
          today: str | None = _TODAY) -> None:
    """Erase the due cases, one transaction each (open referrals withdrawn and grants revoked first); report the
    kept ones. Audited as the `retention` job under each agency."""
    from lantern.cli.platform import _setup

    _setup()
    from rich.table import Table

    from lantern.cli._common import console
    from lantern.platform.middleware import reset_request_context, set_request_context
    from lantern.platform.retention.services import retention_apply

    day = _today(today)
    table = Table("agency", "days", "erased" if not dry_run else "would erase", "kept")
    ctx = set_request_context("cli", "cli")
    try:
        reports = [retention_apply(agency=a, today=day, dry_run=dry_run) for a in _agencies(agency)]
    finally:
        reset_request_context(ctx)
    for r in reports:
        kept = ", ".join(f"{ref} ({_WHY[why].removeprefix('kept: ')})" for ref, why in r.skipped)
        table.add_row(r.agency, str(r.days), " ".join(r.erased) or "—", kept or "—")
    console.print(table, highlight=False)
    total = sum(len(r.erased) for r in reports)
    console.print(f"{'dry run: would erase' if dry_run else 'erased'} {total} case(s)", highlight=False)
