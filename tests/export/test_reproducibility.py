"""The committed model is reproduced byte for byte on any x86-64 CPU, from the lock.

Other CPUs are simulated by forcing each OpenBLAS kernel in turn: under the
original L-BFGS fit, five kernels gave five different `iris.onnx` files.
"""
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from export.equivalence import BYTE_REPRODUCIBLE_MACHINES

# OPENBLAS_CORETYPE -> the /proc/cpuinfo flags its kernels execute, and the names
# threadpoolctl reports for it (scipy-openblas maps Prescott to its Katmai
# kernels, Zen to Haswell's and Cooperlake to SkylakeX's).
KERNELS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Prescott": (frozenset({"pni"}), frozenset({"Katmai", "Prescott"})),
    "Nehalem": (frozenset({"ssse3", "sse4_1", "sse4_2"}), frozenset({"Nehalem"})),
    "Sandybridge": (frozenset({"avx"}), frozenset({"Sandybridge"})),
    "Haswell": (frozenset({"avx2", "fma"}), frozenset({"Haswell"})),
    "Zen": (frozenset({"avx2", "fma"}), frozenset({"Haswell", "Zen"})),
    "SkylakeX": (frozenset({"avx512f", "avx512bw", "avx512dq", "avx512vl"}), frozenset({"SkylakeX"})),
    "Cooperlake": (frozenset({"avx512f", "avx512bw", "avx512_bf16"}), frozenset({"Cooperlake", "SkylakeX"})),
}

# What `export build` writes for the model, minus the gates: train, convert,
# serialize. Printed as JSON with the kernels that actually ran.
# Every builtin classifier on Iris, and every shipped example spec.
_FINGERPRINT = """
import hashlib, json
from pathlib import Path
from threadpoolctl import threadpool_info
from export.contract import DEFAULT_SPEC
from export.convert import serialize, to_onnx
from export.spec import load_spec
from export.train import BUILTINS, train
def digest(trained):
    return hashlib.sha256(serialize(to_onnx(trained))).hexdigest()
iris = load_spec(DEFAULT_SPEC)
hashes = {f"iris/{name}": digest(train(iris, name)) for name in BUILTINS["classification"]}
for path in sorted(Path("models/examples").glob("*/*.toml")):
    spec = load_spec(path)
    hashes[spec.name] = digest(train(spec))
kernels = sorted({pool["architecture"] for pool in threadpool_info() if pool.get("internal_api") == "openblas"})
print(json.dumps({"hashes": hashes, "kernels": kernels}))
"""

pytestmark = pytest.mark.skipif(
    platform.machine() not in BYTE_REPRODUCIBLE_MACHINES,
    reason=f"bytes are promised on x86-64 only; on {platform.machine()} `export verify --reference` compares outputs",
)


def cpu_flags() -> frozenset[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def child(repo_root: Path, argv: list[str], kernel: str | None = None, hash_seed: int = 0) -> str:
    """A child process, as `make model` runs it: nothing this session imported or
    seeded can leak into the result."""
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1", "PYTHONHASHSEED": str(hash_seed)}
    env.pop("OPENBLAS_CORETYPE", None)
    if kernel:
        env["OPENBLAS_CORETYPE"] = kernel
    return subprocess.run(
        [sys.executable, *argv], cwd=repo_root, env=env, check=True, capture_output=True, text=True
    ).stdout


def fingerprint(repo_root: Path, kernel: str | None, hash_seed: int) -> dict:
    return json.loads(child(repo_root, ["-c", _FINGERPRINT], kernel, hash_seed))


@pytest.fixture(scope="module")
def committed_card(repo_root):
    return json.loads((repo_root / "models" / "iris.json").read_text())


@pytest.fixture(scope="module")
def default_fingerprint(repo_root):
    return fingerprint(repo_root, None, hash_seed=0)


def rebuild(repo_root: Path, out: Path, kernel: str | None = None, hash_seed: int = 0) -> Path:
    child(repo_root, ["-m", "export", "build", "--out", str(out)], kernel, hash_seed)
    return out


def running_python() -> str:
    return "%d.%d" % sys.version_info[:2]


def assert_same_build(rebuilt: Path, committed: Path, name: str, where: str = "a rebuild") -> None:
    """The model byte for byte, on every supported Python. The card byte for byte on
    the Python it records; on another, that one field names the other Python."""
    new, old = (rebuilt / name).read_bytes(), (committed / name).read_bytes()
    card = json.loads(old) if name.endswith(".json") else None
    if card is None or card["versions"]["python"] == running_python():
        assert new == old, f"{name} differs from {where}: run `make model` and commit"
        return
    rebuilt_card = json.loads(new)
    assert rebuilt_card["versions"].pop("python") == running_python()
    card["versions"].pop("python")
    assert rebuilt_card == card, f"{name} differs from {where} beyond the Python it records"


@pytest.fixture(scope="module")
def rebuilt(repo_root, tmp_path_factory):
    """`export build` on this machine's own kernel, once for the module's tests."""
    return rebuild(repo_root, tmp_path_factory.mktemp("rebuilt"))


@pytest.mark.parametrize("name", ["iris.onnx", "iris.json"])
def test_rebuild_is_byte_identical(rebuilt, repo_root, name):
    assert_same_build(rebuilt, repo_root / "models", name)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_every_openblas_kernel_builds_the_same_bytes(
    tmp_path, repo_root, committed_card, default_fingerprint, kernel
):
    needs, reported = KERNELS[kernel]
    missing = needs - cpu_flags()
    if missing:
        pytest.skip(f"this CPU cannot run OpenBLAS's {kernel} kernels (no {', '.join(sorted(missing))})")
    # A different string-hash seed for each kernel too: skl2onnx once wrote
    # opset_import in set order, which follows it.
    hash_seed = list(KERNELS).index(kernel) + 1
    rebuilt = rebuild(repo_root, tmp_path, kernel, hash_seed)
    for name in ("iris.onnx", "iris.json"):
        assert_same_build(rebuilt, repo_root / "models", name, f"the build under {kernel}")
    seen = fingerprint(repo_root, kernel, hash_seed)
    assert set(seen["kernels"]) <= reported, f"asked for {kernel}, OpenBLAS ran {seen['kernels']}"
    assert seen["hashes"]["iris/logistic_regression"] == committed_card["onnx"]["sha256"], (
        f"under {kernel} the served model's bytes differ from the committed card"
    )
    assert set(seen["hashes"]) >= {"breast_cancer", "diabetes", "churn"}
    differ = sorted(name for name, digest in seen["hashes"].items() if digest != default_fingerprint["hashes"][name])
    assert not differ, f"under {kernel} these models' bytes differ from the default kernel's: {differ}"


def test_committed_card_was_built_by_the_locked_versions(repo_root, committed_card):
    lock = (repo_root / "train.lock").read_text()
    for package in ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy"):
        assert f"\n{package}=={committed_card['versions'][package]} " in lock
