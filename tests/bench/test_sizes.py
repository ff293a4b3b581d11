"""bench/sizes.py's "serve, as shipped" applies Dockerfile.serve's trims: on a small
site-packages with each kind of file, what it removes, strips and keeps."""
import re
import shutil
from pathlib import Path

import orjson

from bench import sizes
from gateway.api import docs
from tests.images.dockerfile import parse


def library() -> Path:
    """A real shared library that still holds symbols strip removes (orjson's)."""
    (found,) = Path(orjson.__file__).parent.glob("*.so")
    return found


def site(root: Path) -> Path:
    (root / "pkg" / "tests").mkdir(parents=True)
    (root / "pkg" / "tests" / "test_pkg.py").write_text("assert True\n")
    (root / "pkg" / "__init__.py").write_text("")
    shutil.copy(library(), root / "pkg" / "native.so")
    (root / "pkg.libs").mkdir()
    shutil.copy(library(), root / "pkg.libs" / "vendored.so")
    dist = root / docs.SWAGGER_PACKAGE / "static" / docs.SWAGGER_DIST.name
    dist.mkdir(parents=True)
    for name in (*docs.SWAGGER_FILES, "swagger-ui.js.map"):
        (dist / name).write_text(name)
    (root / docs.SWAGGER_PACKAGE / "static" / "redoc.js").parent.mkdir(parents=True, exist_ok=True)
    (root / docs.SWAGGER_PACKAGE / "static" / "redoc.js").write_text("redoc")
    return root


def test_trimmed_removes_test_suites_strips_libraries_and_keeps_only_what_docs_serves(tmp_path):
    original = site(tmp_path / "site-packages")
    work = tmp_path / "work"
    work.mkdir()
    trimmed = sizes.trimmed(original, work)
    assert not (trimmed / "pkg" / "tests").exists()
    assert (trimmed / "pkg" / "__init__.py").exists()
    assert (trimmed / "pkg" / "native.so").stat().st_size < library().stat().st_size
    # strip breaks auditwheel's vendored libraries: those stay byte for byte.
    assert (trimmed / "pkg.libs" / "vendored.so").read_bytes() == library().read_bytes()
    static = trimmed / docs.SWAGGER_PACKAGE / "static"
    assert {p.name for p in static.rglob("*") if p.is_file()} == set(docs.SWAGGER_FILES)
    # The measured copy is a copy: the venv itself is untouched.
    assert (original / "pkg" / "tests" / "test_pkg.py").exists()


def test_the_serve_image_applies_the_same_trims(repo_root):
    """What the Dockerfile's deps stage runs, read from it: the same trims (the files
    /docs serves: tests/images/test_dockerfiles.py)."""
    script = " ".join(i.arguments for i in parse(repo_root / "Dockerfile.serve")[1].all("RUN"))
    assert re.search(r"find /opt/venv -depth -type d -name tests -exec rm -rf", script)
    assert re.search(r'-name "\*\.so\*" -not -path "\*\.libs/\*" -exec strip --strip-unneeded', script)
