"""`make test` on a fresh machine: `test-deps` installs the Debian packages the suite needs when
running as root, else stops naming the command. Run against the real Makefile with a PATH of
stubs (`id`, `apt-get`) in which influxd, chromium, systemd-analyze (the units' check),
rsync (deploy/install.sh) and redis-server (the fault tests' own Redis) are missing; the stubs record what was
called."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")


def stub(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/bash\n" + script + "\n")
    path.chmod(0o755)


def run_test_deps(
    tmp_path: Path, uid: int, *, with_apt: bool = True
) -> tuple[subprocess.CompletedProcess, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    stub(bin_dir, "id", f'[ "$1" = "-u" ] && echo {uid}')
    if with_apt:
        stub(bin_dir, "apt-get", f'echo "$*" >> {calls}; echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> {calls}')
    proc = subprocess.run(
        [MAKE, "-s", "-C", str(ROOT), "test-deps"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    return proc, calls.read_text() if calls.exists() else ""


@pytest.fixture(autouse=True)
def _make_is_there():
    assert MAKE, "make is needed for this test"


def test_as_root_missing_influxd_and_chromium_are_installed_from_the_debian_packages(tmp_path):
    proc, calls = run_test_deps(tmp_path, 0)

    assert proc.returncode == 0, proc.stderr
    assert "apt-get install -y influxdb" in proc.stdout
    assert "apt-get install -y chromium" in proc.stdout
    assert calls.splitlines() == [
        "update -qq",
        "DEBIAN_FRONTEND=noninteractive",
        "install -y -qq influxdb",
        "DEBIAN_FRONTEND=noninteractive",
        "update -qq",
        "DEBIAN_FRONTEND=noninteractive",
        "install -y -qq chromium",
        "DEBIAN_FRONTEND=noninteractive",
        *(
            line
            for package in ("systemd", "rsync", "redis-server")
            for line in (
                "update -qq",
                "DEBIAN_FRONTEND=noninteractive",
                f"install -y -qq {package}",
                "DEBIAN_FRONTEND=noninteractive",
            )
        ),
    ]


def test_as_another_user_it_stops_with_the_exact_command_and_installs_nothing(tmp_path):
    proc, calls = run_test_deps(tmp_path, 1000)

    assert proc.returncode != 0
    assert "missing: influxdb; install with: sudo apt-get install -y influxdb" in proc.stderr
    assert calls == ""


def test_without_apt_get_it_names_the_command_too(tmp_path):
    proc, _ = run_test_deps(tmp_path, 0, with_apt=False)

    assert proc.returncode != 0
    assert "sudo apt-get install -y influxdb" in proc.stderr


def test_with_every_tool_on_the_path_it_does_nothing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "influxd", "exit 0")
    stub(bin_dir, "chromium", "exit 0")
    for name in ("systemd-analyze", "rsync", "redis-server"):
        stub(bin_dir, name, "exit 0")
    stub(bin_dir, "apt-get", f"touch {tmp_path / 'called'}")
    proc = subprocess.run(
        [MAKE, "-s", "-C", str(ROOT), "test-deps"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 0 and proc.stdout == ""
    assert not (tmp_path / "called").exists()


def test_a_python_without_ensurepip_stops_the_venv_with_its_debian_package_named(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "id", '[ "$1" = "-u" ] && echo 1000')
    stub(bin_dir, "python3.11", 'echo "No module named ensurepip" >&2; exit 1')
    proc = subprocess.run(
        [MAKE, "-s", "-C", str(ROOT), "venv", f"VENV={tmp_path / 'venv'}"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode != 0
    assert "missing: python3.11-venv; install with: sudo apt-get install -y python3.11-venv" in proc.stderr
    assert not (tmp_path / "venv").exists()
