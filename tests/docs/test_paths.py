"""Every module the pages name exists: a path (`gateway/signals/emf.py`, `tests/export/`,
`.ci/run`) is a file or folder of the repository, and a dotted name (`gateway.signals.emf`,
`export.card`, `gateway.api.probes.LIVE_PATH`) is a module or package, optionally
followed by one name defined at its top level. A dotted name that is no module must be
a string the code spells out (a logger such as `gateway.access`, a span attribute)."""
import ast
import re
from functools import cache
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, module_file

PAGES = sorted([REPO_ROOT / "README.md", REPO_ROOT / "bench" / "README.md", *(REPO_ROOT / "docs").glob("*.md")])
# Not preceded by a path or a name: `infra/service/tests/x.hcl` and `docs/export.md` are no module of these.
_EDGE = r"(?<![\w./-])"
PATH = re.compile(_EDGE + r"((?:gateway|export|bench|tests|\.ci)/[\w./*-]*)")
DOTTED = re.compile(_EDGE + r"((?:gateway|export|bench|tests)(?:\.[A-Za-z_]\w*)+)")
# A test module named alone (`tests/export/test_gates.py`, `test_cli.py`) sits in the
# folder of the last tests/ path before it.
BARE_TEST = re.compile(_EDGE + r"(test_\w+\.py)")


def named_paths(page: Path) -> set[str]:
    found, folder = set(), None
    for match in re.finditer(f"{PATH.pattern}|{BARE_TEST.pattern}", page.read_text()):
        path, bare = match.groups()
        if path:
            # A sentence may end just after a path: the full stop is not part of it.
            path = path.rstrip(".")
            if path.startswith("tests/"):
                folder = path if path.endswith("/") else path.rpartition("/")[0] + "/"
            found.add(path)
        else:
            found.add(f"{folder}{bare}" if folder else bare)
    return found


def named_modules(page: Path) -> set[str]:
    # `export.md` is a page beside the one naming it.
    return {name for name in DOTTED.findall(page.read_text()) if not name.endswith(".md")}


@cache
def top_level_names(module: Path) -> frozenset[str]:
    names = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    if module.name == "__init__.py":
        names.update(child.stem for child in module.parent.iterdir() if child.suffix == ".py" or child.is_dir())
    return frozenset(names)


@cache
def spelled_in_code(package: str) -> str:
    return "\n".join(path.read_text() for path in sorted((REPO_ROOT / package).rglob("*.py")))


def resolves(dotted: str) -> bool:
    """A module, a module and one top-level name of it, or a string the package's code spells."""
    module = module_file(dotted)
    if module is not None:
        return True
    head, _, attribute = dotted.rpartition(".")
    module = module_file(head)
    if module is not None and attribute in top_level_names(module):
        return True
    return f'"{dotted}"' in spelled_in_code(dotted.split(".")[0])


def exists(path: str) -> bool:
    """A file or folder; a pattern (`bench/results.*`) matches at least one."""
    return any(REPO_ROOT.glob(path)) if "*" in path else (REPO_ROOT / path).exists()


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO_ROOT)) for p in PAGES])
def test_every_path_named_exists(page):
    assert sorted(path for path in named_paths(page) if not exists(path)) == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO_ROOT)) for p in PAGES])
def test_every_dotted_module_named_exists(page):
    assert sorted(name for name in named_modules(page) if not resolves(name)) == []


def test_the_patterns_find_paths_and_modules_and_nothing_else(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "See `gateway/signals/emf.py`. Run `python -m export.cli`, read gateway.api.probes.LIVE_PATH,\n"
        "not infra/service/tests/service.tftest.hcl nor docs/export.md nor [export.md](export.md);\n"
        "and `.ci/run`, tests/export/, `bench/results.*`; `tests/bench/test_report.py`, `test_sizes.py`.\n"
    )
    assert named_paths(page) == {"gateway/signals/emf.py", ".ci/run", "tests/export/", "bench/results.*",
                                 "tests/bench/test_report.py", "tests/bench/test_sizes.py"}
    assert exists("bench/results.*") and not exists("bench/no_such.*")
    assert named_modules(page) == {"export.cli", "gateway.api.probes.LIVE_PATH"}
    assert resolves("gateway.signals.emf") and resolves("gateway.api.probes.LIVE_PATH")
    assert resolves("gateway.access")  # the access logger's name, spelled in gateway/signals/logs.py
    assert not resolves("gateway.tensors") and not resolves("gateway.api.probes.NO_SUCH_NAME")
