"""Every module of the project imports: an import error anywhere fails CI here, by name."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["pdm_project", "ingestion", "analytics", "assessment", "reporting", "frontend", "generator"]


def project_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if info.name.endswith("__main__"):
                continue  # runs a CLI; tests/generator exercises it as a subprocess
            names.append(info.name)
    return sorted(names)


def test_the_project_has_the_fixed_layout():
    for path in ["manage.py", "requirements.txt", "deploy", "docs", "tests", *PACKAGES]:
        assert (ROOT / path).exists(), path


def test_requirements_are_all_pinned_exactly():
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines
    assert [ln for ln in lines if "==" not in ln] == []


@pytest.mark.parametrize("module", project_modules())
def test_module_imports(module):
    importlib.import_module(module)
