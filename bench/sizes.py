"""Installed size of each dependency set, one venv per lock, measured on disk.

    make sizes

Installer tooling (pip, setuptools) is left out of every figure: the serving image
has none, and it is not part of any set. "serve, as shipped" applies the three trims
of Dockerfile.serve's deps stage (package test suites removed, shared libraries
stripped, only the files /docs serves kept of drf-spectacular-sidecar) to a copy of
the serve venv; the other sets are as pip installs them,
which is also how the original design's image held them.
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gateway.api import docs
INSTALLER = ("pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth")


def site_packages(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages")
    return found


def measure(root: Path) -> tuple[int, int]:
    total, count = 0, 0
    for entry in root.iterdir():
        if entry.name.startswith(INSTALLER):
            continue
        if entry.name.endswith(".dist-info"):
            count += 1
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file() and not p.is_symlink()]
        total += sum(p.stat().st_size for p in files)
    return total, count


def trimmed(root: Path, work: Path) -> Path:
    """A copy of root with Dockerfile.serve's trims applied."""
    copy = work / "site-packages"
    shutil.copytree(root, copy, symlinks=True)
    for tests in sorted(copy.rglob("tests"), reverse=True):
        if tests.is_dir():
            shutil.rmtree(tests)
    # Never `<package>.libs/`: strip breaks those vendored libraries (Dockerfile.serve).
    libraries = [str(p) for p in copy.rglob("*.so*") if p.is_file() and not p.parent.name.endswith(".libs")]
    subprocess.run(["strip", "--strip-unneeded", *libraries], check=True)
    sidecar = copy / docs.SWAGGER_PACKAGE
    for path in [p for p in (sidecar / "static").rglob("*") if p.is_file()]:
        if path.parent.name != docs.SWAGGER_DIST.name or path.name not in docs.SWAGGER_FILES:
            path.unlink()
    return copy


def rows_for(serve: Path, train: Path, baseline: Path) -> dict[str, tuple[int, int]]:
    rows = {
        "serve, as installed": measure(site_packages(serve)),
        "train": measure(site_packages(train)),
        "original (Flask + scikit-learn)": measure(site_packages(baseline)),
    }
    with tempfile.TemporaryDirectory() as work:
        rows["serve, as shipped (trimmed)"] = measure(trimmed(site_packages(serve), Path(work)))
    return rows


def all_sizes() -> dict[str, float]:
    """Installed MB of each set, from the repository's venvs (make sizes builds them)."""
    venvs = Path(__file__).resolve().parent.parent / ".venvs"
    rows = rows_for(venvs / "serve", venvs / "train", venvs / "baseline")
    return {name: round(size / 1e6, 1) for name, (size, _) in rows.items()}


def main(serve: str, train: str, baseline: str) -> None:
    rows = rows_for(Path(serve), Path(train), Path(baseline))
    original = rows["original (Flask + scikit-learn)"][0]
    print("| dependency set | packages | installed MB | vs original |")
    print("| --- | --- | --- | --- |")
    for name, (size, count) in rows.items():
        print(f"| {name} | {count} | {size / 1e6:.1f} | {size / original:.0%} |")
    print("\nreproduce: make sizes")


if __name__ == "__main__":
    main(*sys.argv[1:])
