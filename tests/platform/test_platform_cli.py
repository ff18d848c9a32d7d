import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.errors import LanternError
from lantern.platform.accounts.models import Agency, User
from lantern.platform.accounts.services import token_authenticate


@pytest.fixture(autouse=True)
def _tmp_var(tmp_path, monkeypatch):
    monkeypatch.setenv("LANTERN_VAR_DIR", str(tmp_path))


def test_token_create_prints_a_working_token_once(caseworker):
    result = CliRunner().invoke(app, ["token", "create", caseworker.username, "--days", "7"])
    assert result.exit_code == 0, result.output
    token = [line for line in result.stdout.splitlines() if line.startswith("lnt_")][0]
    assert token_authenticate(token) == caseworker


def test_token_for_unknown_user_is_refused(db):
    result = CliRunner().invoke(app, ["token", "create", "nobody"])
    assert isinstance(result.exception, LanternError)
    assert result.exception.problems[0].field == "USERNAME"


def test_agency_and_user_create(db):
    runner = CliRunner()
    r = runner.invoke(app, ["agency", "create", "ngo-x", "--name", "NGO X", "--type", "ngo", "--country", "ro"])
    assert r.exit_code == 0 and Agency.objects.get(key="ngo-x").country == "RO"
    bad = runner.invoke(app, ["agency", "create", "y", "--name", "Y", "--type", "spaceship"])
    assert isinstance(bad.exception, LanternError) and bad.exception.problems[0].field == "type"
    weak = runner.invoke(app, ["user", "create", "u1", "--agency", "ngo-x", "--role", "caseworker"], input="123\n123\n")
    assert isinstance(weak.exception, LanternError) and not User.objects.filter(username="u1").exists()
    ok = runner.invoke(app, ["user", "create", "u1", "--agency", "ngo-x", "--role", "caseworker"],
                       input="Long-Enough-Pass-42\nLong-Enough-Pass-42\n")
    assert ok.exit_code == 0 and User.objects.get(username="u1").check_password("Long-Enough-Pass-42")
