"""Contract tests: the Dockerfiles agree with the code they package.

Ports, paths and routes are read from the gateway itself, not retyped here."""
import fnmatch
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from export.contract import DEFAULT_SPEC
from gateway.api import docs
from gateway.api.probes import LIVE_PATH
from gateway.settings import Settings
from tests.images.dockerfile import Stage, global_args, parse


@pytest.fixture(scope="module")
def serve(repo_root) -> list[Stage]:
    return parse(repo_root / "Dockerfile.serve")


@pytest.fixture(scope="module")
def train(repo_root) -> list[Stage]:
    return parse(repo_root / "Dockerfile.train")


@pytest.fixture(scope="module")
def image_check(repo_root):
    """.ci/image_check.py, loaded from its path (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("image_check", repo_root / ".ci" / "image_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def env_of(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for word in instruction.words():
            key, _, value = word.partition("=")
            values[key] = value
    return values


def run_text(stage: Stage) -> str:
    return " ".join(i.arguments for i in stage.all("RUN"))


def test_serve_is_multi_stage_from_the_train_image(serve):
    assert [s.name for s in serve] == ["model", "deps", "serve"]
    assert serve[0].base == "${TRAIN_IMAGE}"
    assert serve[1].base == serve[2].base == "${BASE_IMAGE}"


def test_final_stage_installs_nothing_and_copies_only_venv_gateway_and_model(serve):
    final = serve[-1]
    copies = [i.words() for i in final.all("COPY")]
    assert copies == [
        ["--from=deps", "/opt/venv", "/opt/venv"],
        ["gateway/", "gateway/"],
        ["--from=model", "/out/${MODEL}.onnx", "/out/${MODEL}.json", "models/"],
    ]
    assert "pip install" not in run_text(final)
    assert "apt-get" not in run_text(final)


def test_dependencies_come_from_the_serve_lock_only_with_hashes(serve):
    deps = serve[1]
    assert [i.words() for i in deps.all("COPY")] == [["serve.lock", "tracing.lock", "/tmp/"]]
    install = run_text(deps)
    assert "--require-hashes" in install and "--no-deps" in install and "-r /tmp/serve.lock" in install
    assert "train.lock" not in install and "dev.lock" not in install
    # The tracing extra only when the build asks for it; by default the serve lock alone.
    assert [i.arguments for i in deps.all("ARG")] == ["TRACING=false"]
    assert 'if [ "$TRACING" = true ]; then set -- -r /tmp/tracing.lock; fi' in install
    assert install.count("tracing.lock") == 1


def test_final_stage_runs_as_a_non_root_user(serve):
    (user,) = serve[-1].all("USER")
    uid = user.arguments.split(":")[0]
    assert uid not in ("root", "0") and uid.isdigit()


def test_ports_and_health_probe_are_the_gateways(serve, image_check):
    final = serve[-1]
    port, admin_port = Settings().port, Settings().admin_port
    assert [i.arguments for i in final.all("EXPOSE")] == [f"{port} {admin_port}"]
    assert env_of(final)["GATEWAY_PORT"] == str(port)
    assert env_of(final)["GATEWAY_ADMIN_PORT"] == str(admin_port)
    assert env_of(final)["GATEWAY_HOST"] == "0.0.0.0"
    # Liveness on the admin port: never refused for load (gateway.http.limits).
    (check,) = final.all("HEALTHCHECK")
    assert f"http://127.0.0.1:{admin_port}{LIVE_PATH}" in check.arguments
    assert "curl" not in check.arguments and "wget" not in check.arguments
    # image_check.py runs on a bare runner without the gateway: its copy of the ports is tied here.
    assert (image_check.IMAGE_PORT, image_check.IMAGE_ADMIN_PORT) == (port, admin_port)


def test_model_paths_in_the_image_are_where_the_settings_point(serve):
    env = env_of(serve[-1])
    (workdir,) = serve[-1].all("WORKDIR")
    model_copy = serve[-1].all("COPY")[-1].words()
    destination = Path(workdir.arguments) / model_copy[-1]
    assert Path(env["GATEWAY_MODEL_PATH"]) == destination / "${MODEL}.onnx"
    assert Path(env["GATEWAY_CARD_PATH"]) == destination / "${MODEL}.json"
    # By default the image serves the model of the default spec, as `make serve` does.
    (model,) = [i.words()[0] for i in serve[-1].all("ARG") if i.words()[0].startswith("MODEL=")]
    assert model == f"MODEL={DEFAULT_SPEC.stem}"
    assert Settings().model_path == DEFAULT_SPEC.with_suffix(".onnx")


def test_image_is_ready_for_a_read_only_root(serve):
    final = serve[-1]
    env = env_of(final)
    assert env["ORT_DISABLE_TELEMETRY"] == "1"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["GATEWAY_TEMP_DIR"].startswith("/tmp/")
    assert env["HOME"] == "/tmp"
    assert [i.json_form() for i in final.all("VOLUME")] == [["/tmp"]]


def test_command_is_the_gateway(serve):
    (command,) = serve[-1].all("CMD")
    assert command.json_form() == ["python", "-m", "gateway"]


def test_train_image_runs_the_gates_and_checks_the_committed_hash(train):
    (stage,) = train
    assert stage.base == "${BASE_IMAGE}"
    script = run_text(stage)
    assert "--require-hashes" in script and "-r train.lock" in script
    assert 'python -m export build --spec "${SPEC}" --out /out' in script
    assert 'python -m export verify --model "/out/${name}.onnx" --card "${committed}.json"' in script
    (spec,) = [i.words()[0] for i in stage.all("ARG") if i.words()[0].startswith("SPEC=")]
    assert spec == f"SPEC={DEFAULT_SPEC}"
    assert ["models/", "models/"] in [i.words() for i in stage.all("COPY")]


def test_both_images_use_the_same_python_pinned_by_digest(repo_root, serve, train):
    """A tag is re-pushed with each rebuild of the official image; a digest is one image for ever."""
    assert train[0].base == serve[-1].base == "${BASE_IMAGE}"
    train_base = global_args(repo_root / "Dockerfile.train")["BASE_IMAGE"]
    assert global_args(repo_root / "Dockerfile.serve")["BASE_IMAGE"] == train_base
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", train_base), train_base


def test_every_debian_package_is_pinned(serve, train):
    for stage in [*serve, *train]:
        for command in re.findall(r"apt-get install ([^&;|]*)", run_text(stage)):
            packages = [word for word in command.split() if not word.startswith("-")]
            assert packages and all("=" in package for package in packages), command


def context_files(repo_root: Path) -> set[str]:
    """The files a docker build would send, per .dockerignore (an allow-list)."""
    patterns = [
        line.strip() for line in (repo_root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    included = set()
    for path in repo_root.rglob("*"):
        if not path.is_file() or ".venvs" in path.parts or ".git" in path.parts:
            continue
        relative = path.relative_to(repo_root).as_posix()
        keep = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            hit = fnmatch.fnmatch(relative, bare) or relative.startswith(bare + "/") or fnmatch.fnmatch(
                relative, bare.replace("**/", "*/")
            ) or fnmatch.fnmatch(Path(relative).name, bare.replace("**/", ""))
            if hit:
                keep = negate
        if keep:
            included.add(relative)
    return included


def test_build_context_holds_only_what_the_builds_copy(repo_root):
    files = context_files(repo_root)
    top = {name.split("/")[0] for name in files}
    assert top == {"export", "gateway", "models", "train.lock", "serve.lock", "tracing.lock"}
    tracked = subprocess.run(["git", "ls-files", "models"], cwd=repo_root, capture_output=True, text=True,
                             check=True).stdout.split()
    # Every spec and what it reads, and the committed Iris pair; no picture, no built example model.
    assert {f for f in files if f.startswith("models/")} == {f for f in tracked if not f.endswith(".svg")}
    assert {"models/iris.onnx", "models/iris.json", "models/iris.toml"} <= files
    assert not any("__pycache__" in f for f in files)


def test_deps_stage_keeps_exactly_the_files_docs_serves(serve):
    script = run_text(serve[1])
    kept = set(re.findall(r'-not -path "\*/swagger-ui-dist/([^"]+)"', script))
    assert kept == set(docs.SWAGGER_FILES)
    assert "gateway.api.docs.load()" in "".join(run_text(stage) for stage in serve)


def test_image_check_fetches_every_file_docs_serves(image_check):
    served = {docs.DOCS_PATH, *(f"{docs.DOCS_PATH}/{name}" for name in (*docs.SWAGGER_FILES, *docs.OWN_FILES))}
    assert set(image_check.DOCS_PATHS) == served


def test_the_train_image_copies_exactly_the_gateway_modules_export_imports(repo_root, train):
    """The gates run the model through gateway.model.session; the train image holds that
    and nothing more of gateway/."""
    imported = {
        module.replace(".", "/") for path in (repo_root / "export").glob("*.py")
        for module in re.findall(r"^from gateway\.([\w.]+) import", path.read_text(), flags=re.M)
    }
    assert imported, "export/ runs its sessions through the gateway's module"
    packages = {str(Path(module).parent) for module in imported}
    copied = {source for words in (i.words() for i in train[0].all("COPY")) if words[-1].startswith("gateway/")
              for source in words[:-1]}
    assert copied == {"gateway/__init__.py", *(f"gateway/{package}/__init__.py" for package in packages),
                      *(f"gateway/{module}.py" for module in imported)}


# A value that breaks each requirement image-check holds the serve image to.
BROKEN = {
    "smoke_passed": False, "docs_served": False, "operator_routes_public": ["/metrics"],
    "operator_routes_on_admin_port": False, "uid": 0, "sklearn_importable": True, "pip_present": True,
    "root_writable": True, "tmp_writable": False, "healthcheck_passed": False, "exit_code_after_sigterm": 143,
    "drain_logged": False,
}
PASSING = {
    "smoke_passed": True, "docs_served": True, "operator_routes_public": [], "operator_routes_on_admin_port": True,
    "uid": 10001, "sklearn_importable": False, "pip_present": False, "root_writable": False, "tmp_writable": True,
    "healthcheck_passed": True, "exit_code_after_sigterm": 0, "drain_logged": True,
}


def test_image_check_fails_an_image_on_each_broken_requirement_and_names_it(image_check):
    assert {field for field, _, _ in image_check.REQUIREMENTS} == set(BROKEN), "a requirement without a case here"
    assert image_check.failures(PASSING) == []
    for (field, _, message) in image_check.REQUIREMENTS:
        assert image_check.failures({**PASSING, field: BROKEN[field]}) == [message], field
