"""deploy/install.sh into a throwaway root (--root): what it writes, that a second run changes
nothing, that the units it installs pass `systemd-analyze verify`, and --uninstall.

The steps that need the machine's own services (apt, the PostgreSQL role, InfluxDB, the first
admin, starting units) are left out by --root; the venv is the repository's own (a symlink, as
building one from PyPI takes minutes)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "install.sh"
UNITS = ("pdm-web.service", "pdm-worker.service", "pdm-worker-live.service", "pdm-beat.service")


def install(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    if os.geteuid() != 0:
        pytest.fail("deploy/install.sh runs as root; run this test as root (CI does)")
    result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(
            f"install.sh {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below root (the code excepted): its mode and content."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_file() and not path.is_symlink() and not rel.startswith("opt/pdm/"):
            out[rel] = (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
    return out


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    install("--root", str(root), "--skip", "venv,frontend,user")
    return root


def test_help_names_every_option_and_step():
    out = install("--help").stdout
    for word in ("--uninstall", "--dry-run", "--root", "--prefix", "--skip", "apt", "venv", "admin", "units"):
        assert word in out


def test_refuses_unknown_options_and_steps_with_exit_2():
    bad_option = install("--frobnicate", check=False)
    assert bad_option.returncode == 2 and "unknown option --frobnicate" in bad_option.stderr
    bad_step = install("--skip", "coffee", check=False)
    assert bad_step.returncode == 2 and "unknown step 'coffee'" in bad_step.stderr


def test_writes_code_env_with_generated_secrets_and_units(installed: Path):
    code = installed / "opt/pdm"
    assert (code / "manage.py").is_file() and (code / "deploy/gunicorn.conf.py").is_file()
    assert not (code / ".venv").exists() and not (code / "frontend/node_modules").exists()
    assert not (code / ".git").exists()
    env_file = installed / "etc/pdm/pdm.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = dict(
        line.split("=", 1) for line in env_file.read_text().splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    assert len(env["DJANGO_SECRET_KEY"]) >= 40
    password = re.fullmatch(r"postgres://pdm:([^@]+)@127\.0\.0\.1:5432/pdm", env["DATABASE_URL"]).group(1)
    assert len(password) >= 20 and password != "CHANGE_ME"
    assert env["PDM_DATA_DIR"] == "/var/lib/pdm"
    template_keys = re.findall(r"^([A-Z_]+)=", (ROOT / "deploy/pdm.env.example").read_text(), re.M)
    assert sorted(env) == sorted(template_keys)
    for unit in UNITS:
        text = (installed / "etc/systemd/system" / unit).read_text()
        assert f"EnvironmentFile={installed}/etc/pdm/pdm.env" in text
        assert f"WorkingDirectory={installed}/opt/pdm" in text
        assert not re.search(r"(^|[=\s])/(opt|etc|var/lib)/pdm", text, re.M)  # every path moved below root
    dropin = installed / "etc/systemd/system/influxdb.service.d/pdm.conf"
    assert dropin.read_bytes() == (ROOT / "deploy/influxdb.service.d/pdm.conf").read_bytes()
    assert "Environment=INFLUXDB_DATA_INDEX_VERSION=tsi1" in dropin.read_text().splitlines()


def test_second_run_changes_nothing_and_keeps_the_secrets(installed: Path, tmp_path: Path):
    before = tree(installed)
    again = install("--root", str(installed), "--skip", "venv,frontend,user")
    assert tree(installed) == before
    assert "unit " not in again.stdout and "from deploy/pdm.env.example" not in again.stdout
    dry = install("--root", str(installed), "--skip", "venv,frontend,user", "--dry-run")
    assert tree(installed) == before
    assert "would run: rsync" in dry.stdout and "would write" not in dry.stdout


def test_keeps_edited_values_and_adds_settings_a_newer_template_has(installed: Path):
    env_file = installed / "etc/pdm/pdm.env"
    lines = env_file.read_text().splitlines()
    edited = [
        "DJANGO_ALLOWED_HOSTS=pdm.plant.example" if line.startswith("DJANGO_ALLOWED_HOSTS=") else line
        for line in lines
        if not line.startswith("API_TOKEN_RATE=")
    ]
    env_file.write_text("\n".join(edited) + "\n")
    out = install("--root", str(installed), "--skip", "venv,frontend,user").stdout
    text = env_file.read_text()
    assert "new setting API_TOKEN_RATE" in out
    assert "DJANGO_ALLOWED_HOSTS=pdm.plant.example\n" in text and text.count("API_TOKEN_RATE=") == 1
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_installed_units_pass_systemd_analyze_verify(installed: Path):
    # The venv step's result: the repository's own virtualenv, with gunicorn and celery in it.
    (installed / "opt/pdm/.venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
    units = [str(installed / "etc/systemd/system" / u) for u in UNITS]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pdm-" not in result.stderr, result.stderr  # no warning about our units


def test_units_without_their_executables_fail_verify(installed: Path):
    """The check above can fail: a unit naming a missing program is refused."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(installed / "etc/systemd/system/pdm-web.service")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "is not executable" in result.stderr


def test_uninstall_removes_code_and_units_and_keeps_configuration(installed: Path):
    out = install("--root", str(installed), "--uninstall").stdout
    assert not (installed / "opt/pdm").exists()
    assert not any((installed / "etc/systemd/system" / u).exists() for u in UNITS)
    assert not (installed / "etc/systemd/system/influxdb.service.d").exists()
    assert (installed / "etc/pdm/pdm.env").is_file()
    assert "Kept:" in out
    again = install("--root", str(installed), "--uninstall")  # nothing left to remove: still fine
    assert again.returncode == 0
