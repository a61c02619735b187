"""The built wheel carries the catalogue and the thesaurus, and works outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from .conftest import ROOT


def test_the_wheel_installs_in_a_fresh_environment_and_matches(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("matcher-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"matcher/data/partners.csv", "matcher/data/thesaurus.csv"} <= set(names)
    assert not [n for n in names if n.startswith(("tests/", "data/", "benchmarks/"))]

    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )
    # the dependencies come from this environment's site-packages, without its editable matcher
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {**os.environ, "MATCHER_CACHE": str(tmp_path / "cache"), "PYTHONPATH": ""}
    where = subprocess.check_output(
        [python, "-c", "import matcher; print(matcher.__file__)"], cwd=tmp_path, env=env, text=True
    )
    assert where.startswith(str(env_dir))
    out = subprocess.run(
        [env_dir / "bin" / "matcher", "match", "atelier lecture parents-enfants", "-k", "1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Biblionef" in out.stdout, out.stderr
