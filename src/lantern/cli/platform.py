"""Platform commands: `lantern demo`, `lantern serve`, `lantern migrate`, `lantern token create`."""

from __future__ import annotations

from pathlib import Path

import typer

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys of the identifier fields.", no_args_is_help=True)
totp_app = typer.Typer(help="Second sign-in factor (TOTP).", no_args_is_help=True)
agency_app = typer.Typer(help="Agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)


@agency_app.command("create")
def agency_create(
    key: str = typer.Argument(..., help="Short key, e.g. ngo-iasi (also the `agency` of the flat format)."),
    name: str = typer.Option(..., help="Full name."),
    type: str = typer.Option(..., "--type", help="A code of the standard's agency_type list, e.g. ngo."),  # noqa: A002
    country: str = typer.Option("RO", help="ISO 3166-1 alpha-2."),
    region: str = typer.Option("", help="Region."),
) -> None:
    """Create an agency."""
    _setup()
    from lantern.cli._common import err_console
    from lantern.platform.accounts.services import agency_create as create

    agency = create(key=key, name=name, type=type, country=country, region=region)
    err_console.print(f"agency {agency.key} ({agency.name}) created")


@user_app.command("create")
def user_create(
    username: str = typer.Argument(...),
    agency: str = typer.Option(..., help="The agency key."),
    role: str = typer.Option(..., help="caseworker, supervisor, analyst, coordinator, agency_admin or auditor."),
) -> None:
    """Create a user of AGENCY with ROLE; the password is asked twice (never on the command line)."""
    _setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    from lantern.cli._common import err_console
    from lantern.errors import LanternError, Problem
    from lantern.platform.accounts.models import Agency
    from lantern.platform.accounts.services import user_create as create

    agency_obj = Agency.objects.filter(key=agency).first()
    if agency_obj is None:
        raise LanternError(f"no agency with key {agency!r}", field="--agency")
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        validate_password(password)
    except DjangoValidationError as exc:
        raise LanternError([Problem(m, field="password") for m in exc.messages]) from exc
    user = create(username=username, password=password, agency=agency_obj, role=role)
    err_console.print(f"user {user.username} ({user.role}, {agency_obj.name}) created")


def _env_file() -> Path:
    from lantern.platform.runtime import var_dir

    return var_dir() / "demo.env"


def _setup(*, migrated: bool = True) -> None:
    """Django set-up; with ``migrated``, refuse to go on when the database lacks migrations."""
    from lantern.platform.runtime import setup_django, var_dir

    var_dir().mkdir(parents=True, exist_ok=True)
    setup_django(env_file=_env_file())
    if migrated:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        from lantern.errors import LanternError

        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise LanternError(f"the database needs {len(pending)} migration(s): run `lantern migrate` first",
                               field="database")


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    from lantern.cli._common import console
    from lantern.platform.wsgi import application

    console.print(f"Serving on [bold]http://{host}:{port}[/] (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="lantern")


def demo(
    port: int = typer.Option(8000, help="Port to serve on."),
    people: int = typer.Option(300, min=10, max=20000, help="Synthetic people to seed (first run only)."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Prepare and seed, then exit."),
) -> None:
    """Set up the demo: var/demo.env, SQLite database, synthetic data; print the sign-ins; serve."""
    from lantern.platform.runtime import var_dir, write_demo_env

    created = write_demo_env(_env_file())
    _setup(migrated=False)
    import os

    from rich.table import Table

    from lantern.cli._common import console, err_console
    from lantern.platform.seed import seed_demo, share_demo_registers

    if created:
        err_console.print(f"wrote fresh demo secrets to {_env_file()}")
    with err_console.status("migrating the database…"):
        _migrate()
    with err_console.status(f"seeding synthetic data ({people} people)…"):
        result = seed_demo(people=people, password=os.environ["LANTERN_DEMO_PASSWORD"])
    if result.skipped:
        err_console.print("demo data already present: nothing added")
    else:
        err_console.print(f"seeded {result.subjects} subjects, {result.assessments} assessments, "
                          f"{result.legs} journey legs (from the {result.source})")
        shared = share_demo_registers()
        if shared:
            err_console.print(f"{len(shared)} agencies share their registers with the national anti-trafficking agency "
                              "(its analyst: Statistics → Data sources across agencies)")
    table = Table(title=f"Demo sign-ins — password for all: {os.environ['LANTERN_DEMO_PASSWORD']}")
    table.add_column("username")
    table.add_column("role")
    table.add_column("agency")
    for username, role, agency in result.users:
        table.add_row(username, role, agency)
    console.print(table)
    console.print(f"database: {var_dir() / 'lantern.sqlite3'}")
    if not no_serve:
        _serve("127.0.0.1", port)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port."),
    threads: int = typer.Option(8, help="Worker threads."),
) -> None:
    """Serve the platform with Waitress (a production-grade pure-Python WSGI server)."""
    _setup()
    _serve(host, port, threads)


def migrate() -> None:
    """Create or update the database tables."""
    _setup(migrated=False)
    _migrate(verbosity=1)


@token_app.command("create")
def token_create(
    username: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("", help="A label to tell tokens apart."),
    days: int = typer.Option(90, min=1, max=3650, help="Days until the token expires."),
) -> None:
    """Create an API token for USERNAME and print it (once: only its hash is stored)."""
    _setup()
    from lantern.cli._common import console, err_console
    from lantern.errors import LanternError
    from lantern.platform.accounts.models import User
    from lantern.platform.accounts.services import token_create as create
    from lantern.platform.middleware import reset_request_context, set_request_context

    user = User.objects.filter(username=username).first()
    if user is None:
        raise LanternError(f"no user named {username!r}", field="USERNAME")
    ctx = set_request_context("cli", "cli")
    try:
        row, token = create(user=user, name=name, days=days)
    finally:
        reset_request_context(ctx)
    err_console.print(f"token {row.prefix}… for {username} ({user.role}, {user.agency}), expires "
                      f"{row.expires_at:%Y-%m-%d}. It is shown once; store it now:")
    console.print(token, markup=False, highlight=False)


@totp_app.command("enable")
def totp_enable(username: str = typer.Argument(..., help="The user to protect with a second factor.")) -> None:
    """Give USERNAME a TOTP second factor now and print the otpauth:// URI and 10 recovery codes once.

    Users can also enrol themselves on the web (Sign-in security), confirming with a code."""
    _setup()
    from lantern.cli._common import console, err_console
    from lantern.platform.accounts.services import recovery_codes_create
    from lantern.platform.accounts.services import totp_enable as enable
    from lantern.platform.middleware import reset_request_context, set_request_context

    user = _user(username)
    ctx = set_request_context("cli", "cli")  # the audit rows say the channel was the command line
    try:
        uri = enable(user=user)
        codes = recovery_codes_create(user=user)
    finally:
        reset_request_context(ctx)
    err_console.print(f"{username} now signs in with a password and a 6-digit code. Add this to the authenticator "
                      "app (shown once):")
    console.print(uri, markup=False, highlight=False, soft_wrap=True)  # one line, whatever the terminal width
    err_console.print("Recovery codes (each signs in once instead of a code; shown once, give them to the user):")
    for code in codes:
        console.print(code, markup=False, highlight=False)


@totp_app.command("reset")
def totp_reset(username: str = typer.Argument(..., help="The user who lost their authenticator.")) -> None:
    """Remove USERNAME's second factor and recovery codes (lost phone). Audited. If the role requires a
    factor (LANTERN_TOTP_ROLES), the user enrols again at the next sign-in."""
    _setup()
    from lantern.cli._common import err_console
    from lantern.platform.accounts.services import totp_required
    from lantern.platform.accounts.services import totp_reset as reset

    user = _user(username)
    if not user.has_totp:
        from lantern.errors import LanternError

        raise LanternError(f"{username!r} has no second factor", field="USERNAME")
    from lantern.platform.middleware import reset_request_context, set_request_context

    ctx = set_request_context("cli", "cli")
    try:
        removed = reset(user=user)
    finally:
        reset_request_context(ctx)
    then = ("must enrol a new one at the next sign-in" if totp_required(user)
            else "signs in with the password alone until they enrol again")
    err_console.print(f"{username}: second factor and {removed} unused recovery code(s) removed; the user {then}")


def _user(username: str):
    from lantern.errors import LanternError
    from lantern.platform.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise LanternError(f"no user named {username!r}", field="USERNAME")
    return user


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key (put it first in LANTERN_FIELD_KEYS, then run `lantern keys rotate`)."""
    from lantern.cli._common import console
    from lantern.platform.crypto import generate_key

    console.print(generate_key(), markup=False, highlight=False)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every identifier and note with the first key of LANTERN_FIELD_KEYS."""
    _setup()
    from lantern.cli._common import err_console
    from lantern.platform.keys import rotate_field_keys

    counts = rotate_field_keys()
    done = ", ".join(f"{n} {name}" for name, n in counts.items())
    err_console.print(f"re-encrypted with the first key: {done}; the other keys can now be removed from "
                      "LANTERN_FIELD_KEYS")


def register(app: typer.Typer) -> None:
    """Add the platform commands to the main app."""
    app.command("demo")(demo)
    app.command("serve")(serve)
    app.command("migrate")(migrate)
    app.add_typer(token_app, name="token")
    app.add_typer(keys_app, name="keys")
    app.add_typer(totp_app, name="totp")
    app.add_typer(agency_app, name="agency")
    app.add_typer(user_app, name="user")
