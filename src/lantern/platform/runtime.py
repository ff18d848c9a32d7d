"""Start-up helpers shared by the CLI: environment file, Django set-up, message catalogues."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

PLATFORM_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PLATFORM_DIR / "locale"


def var_dir() -> Path:
    return Path(os.environ.get("LANTERN_VAR_DIR", Path.cwd() / "var"))


def write_demo_env(path: Path) -> bool:
    """Create ``var/demo.env`` with fresh secrets, only if absent. Returns True when it was created."""
    from lantern.platform.crypto import generate_key

    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    content = (
        "# Written by `lantern demo`. Local demo secrets: never use them for real data.\n"
        f"LANTERN_SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"LANTERN_FIELD_KEYS={generate_key()}\n"
        f"LANTERN_INDEX_KEY={secrets.token_urlsafe(32)}\n"
        f"LANTERN_DEMO_PASSWORD=demo-{secrets.token_urlsafe(9)}\n"
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo.env.")
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True


def load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines into the environment; variables already set win."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip())


def compiled_locale_dir() -> Path:
    """Where the compiled catalogues go (``var/locale``): the package folder may be read-only."""
    return var_dir() / "locale"


def compile_messages(locale_dir: Path = LOCALE_DIR, out_dir: Path | None = None) -> int:
    """Compile every ``.po`` under ``locale_dir`` to ``.mo`` under ``out_dir`` (``var/locale``) when missing
    or older, with Babel (no ``msgfmt`` needed). Returns the number of catalogues written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    out_dir = out_dir or compiled_locale_dir()
    written = 0
    for po in locale_dir.glob("*/LC_MESSAGES/*.po"):
        mo = out_dir / po.relative_to(locale_dir).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".mo.")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)
        written += 1
    return written


def setup_django(*, env_file: Path | None = None) -> None:
    if env_file is not None:
        load_env_file(env_file)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lantern.platform.settings")
    import django

    compile_messages()
    django.setup()
