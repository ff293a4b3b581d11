"""Which way the gateway's imports run (gateway/__init__.py): a module imports, from the
gateway package, only modules of its own layer or an inner one; and the core runs
without HTTP: nothing that loading model/, codecs/ or core/ runs, in the module itself or
in a gateway module it imports, comes from starlette or uvicorn. Read from the source
with `ast`, nothing imported."""
import ast
from functools import cache
from pathlib import Path
from typing import Mapping

import pytest

from tests.support import REPO_ROOT, module_file

PACKAGE = REPO_ROOT / "gateway"

# The layers, innermost first, and what each may import from the gateway package: its
# own layer and the inner ones. codecs and signals sit side by side, neither importing
# the other; app and __main__ ("top") put everything together.
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "model": {"base", "model"},
    "codecs": {"base", "model", "codecs"},
    "signals": {"base", "model", "signals"},
    "core": {"base", "model", "codecs", "signals", "core"},
    "http": {"base", "model", "codecs", "signals", "core", "http"},
    "api": {"base", "model", "codecs", "signals", "core", "http", "api"},
    "top": {"base", "model", "codecs", "signals", "core", "http", "api", "top"},
}
# A subpackage is the layer of its name; the modules beside them are placed here.
TOP_LEVEL_LAYERS = {"__init__": "base", "errors": "base", "settings": "base", "app": "top", "__main__": "top"}
WITHOUT_HTTP = ("model", "codecs", "core")
HTTP_PACKAGES = {"starlette", "uvicorn"}


def module_name(path: Path) -> str:
    """gateway/codecs/v2.py -> gateway.codecs.v2; gateway/codecs/__init__.py -> gateway.codecs."""
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    """gateway.codecs.v2 -> codecs, gateway.errors and gateway itself -> base; None: no layer."""
    first = module.split(".")[1] if "." in module else "__init__"
    if (PACKAGE / first).is_dir():
        return first if first in MAY_IMPORT else None
    return TOP_LEVEL_LAYERS.get(first)


@cache
def parsed() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def imports(module: str, tree: ast.Module) -> tuple[set[str], set[str]]:
    """The gateway modules `module` imports (`from gateway.x.y import z`, `from gateway.x
    import y`, `from gateway import PRODUCT`, `import gateway.x`, relative forms) and the
    other top-level packages it imports."""
    file = module_file(module)
    package = module if file is not None and file.name == "__init__.py" else module.rpartition(".")[0]
    internal, external = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root == "gateway":
                    internal.add(alias.name)
                else:
                    external.add(root)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "gateway":
                external.add(source.split(".")[0])
                continue
            for alias in node.names:
                # `from gateway.signals import logs` imports a module; `from gateway import
                # PRODUCT` a name of the package itself.
                submodule = f"{source}.{alias.name}"
                internal.add(submodule if module_file(submodule) else source)
    return internal, external


def layering_errors(module: str, tree: ast.Module) -> list[str]:
    layer = layer_of(module)
    internal, _ = imports(module, tree)
    return [f"{module} ({layer}) imports {target} ({layer_of(target)})" for target in sorted(internal)
            if layer is None or layer_of(target) not in MAY_IMPORT[layer]]


def http_loaded(module: str, trees: Mapping[str, ast.Module]) -> list[str]:
    """Every import of starlette or uvicorn that importing `module` runs, with the chain of
    gateway modules that leads to it (a module's packages run first: their __init__)."""
    found = []
    chains = {module: [module]}
    waiting = [module]
    while waiting:
        current = waiting.pop()
        internal, external = imports(current, trees[current])
        found += [f"{' -> '.join(chains[current])} imports {root}" for root in sorted(external & HTTP_PACKAGES)]
        parts = [target.split(".") for target in internal]
        loaded = {".".join(target[:end]) for target in parts for end in range(1, len(target) + 1)}
        for target in sorted(loaded - chains.keys()):
            chains[target] = [*chains[current], target]
            waiting.append(target)
    return found


def test_every_module_is_in_a_layer():
    assert [module for module in parsed() if layer_of(module) is None] == []


def test_every_module_imports_only_its_own_layer_and_inner_ones():
    errors = [error for module, tree in parsed().items() for error in layering_errors(module, tree)]
    assert errors == []


@pytest.mark.parametrize("layer", WITHOUT_HTTP)
def test_the_core_layers_load_nothing_of_starlette_or_uvicorn(layer):
    modules = [module for module in parsed() if layer_of(module) == layer]
    assert modules
    assert [found for module in modules for found in http_loaded(module, parsed())] == []


# The checks themselves, on a module's source changed here: each import would break the layering.
@pytest.mark.parametrize(("module", "source"), [
    ("gateway.core.service", "from gateway.http.limits import BodyDeadlines"),
    ("gateway.core.service", "from gateway.http import limits"),
    ("gateway.core.service", "import gateway.http.limits"),
    ("gateway.core.service", "from ..http.limits import BodyDeadlines"),
    ("gateway.codecs.v2", "from gateway.signals import metrics"),
    ("gateway.signals.emf", "from gateway.codecs.v2 import infer_example"),
    ("gateway.model.card", "from gateway import app"),
    ("gateway.errors", "from gateway.model.card import ModelCard"),
    ("gateway.http.asgi", "from gateway.api.predict import PREDICT_PATH"),
])
def test_an_import_outwards_is_caught(module, source):
    assert layering_errors(module, ast.parse(source))


@pytest.mark.parametrize(("module", "source", "imported"), [
    ("gateway.model.card", "from gateway import PRODUCT", "gateway"),
    ("gateway.model.card", "from gateway import errors, settings", "gateway.errors gateway.settings"),
    ("gateway.codecs.v2", "from .. import errors", "gateway.errors"),
    ("gateway.codecs.v2", "from .json_values import parse_json", "gateway.codecs.json_values"),
    ("gateway.core.service", "from gateway.codecs.predict import Layout", "gateway.codecs.predict"),
    ("gateway.core.service", "from gateway.signals import metrics", "gateway.signals.metrics"),
    ("gateway.app", "from gateway.api import v2", "gateway.api.v2"),
    ("gateway.app", "import gateway.__main__", "gateway.__main__"),
])
def test_an_import_inwards_or_within_the_layer_is_read_and_passes(module, source, imported):
    tree = ast.parse(source)
    assert imports(module, tree)[0] == set(imported.split())
    assert layering_errors(module, tree) == []


@pytest.mark.parametrize("source", [
    "from starlette.types import Scope",
    "import uvicorn",
    # signals/ may use starlette; the core may not load it through them.
    "from gateway.signals.tracing import RequestTracer",
])
def test_http_reached_from_the_core_is_caught(source):
    assert http_loaded("gateway.core.service", {**parsed(), "gateway.core.service": ast.parse(source)})
