"""Contract tests for .github/workflows: job graph, least privilege, pinned actions,
build once and deploy that image, run before push, rollback, and that every make
target a job calls exists. Plus shellcheck on every run: block."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from export.contract import DEFAULT_SPEC

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


@pytest.fixture(scope="module")
def pipeline() -> dict:
    return load("ci-cd.yml")


@pytest.fixture(scope="module")
def destroy() -> dict:
    return load("destroy.yml")


def all_workflows() -> list[tuple[str, dict]]:
    return [(path.name, yaml.safe_load(path.read_text())) for path in sorted(WORKFLOWS.glob("*.yml"))]


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def run_index(job: dict, needle: str) -> int:
    return next(i for i, step in enumerate(steps(job)) if needle in step.get("run", ""))


def upstream(pipeline: dict, job: str) -> set[str]:
    """Every job that must succeed before `job` starts."""
    needs = pipeline["jobs"][job].get("needs") or []
    direct = {needs} if isinstance(needs, str) else set(needs)
    return direct.union(*(upstream(pipeline, name) for name in direct))


def test_nothing_ships_unless_lint_tests_and_gates_passed(pipeline):
    # Whatever touches AWS (build-and-push, deploy, smoke) waits for every check.
    for name, job in pipeline["jobs"].items():
        if any("configure-aws-credentials" in step.get("uses", "") for step in steps(job)):
            assert {"lint", "check", "test", "gates"} <= upstream(pipeline, name), name
    assert "build-and-push" in upstream(pipeline, "deploy") and "deploy" in upstream(pipeline, "smoke")


def test_pipeline_runs_on_main_pushes_and_deploys_only_from_there(pipeline):
    assert triggers(pipeline)["push"]["branches"] == ["main"]
    condition = pipeline["jobs"]["build-and-push"]["if"]
    assert "github.ref == 'refs/heads/main'" in condition and "push" in condition


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_least_privilege(name, workflow):
    assert workflow["permissions"] == {}, f"{name}: permissions must be empty at the top"
    aws_jobs = set()
    for job_name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert permissions is not None, f"{name}/{job_name} must state its permissions"
        assert set(permissions.values()) <= {"read", "write"}
        assert {k for k, v in permissions.items() if v == "write"} <= {"id-token"}, f"{name}/{job_name}"
        uses_aws = any("configure-aws-credentials" in step.get("uses", "") for step in steps(job))
        if uses_aws:
            aws_jobs.add(job_name)
            assert permissions.get("id-token") == "write", f"{name}/{job_name} needs id-token: write for OIDC"
        else:
            assert "id-token" not in permissions, f"{name}/{job_name} has no AWS step, so no id-token"
    assert aws_jobs, f"{name} has no AWS job"


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_aws_access_is_oidc_only(name, workflow):
    text = (WORKFLOWS / name).read_text()
    assert not re.search(r"aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID", text)
    for job_name, job in workflow["jobs"].items():
        for step in steps(job):
            if "configure-aws-credentials" in step.get("uses", ""):
                # The build job pushes with the push role; only the deploy environment's jobs deploy.
                role = "AWS_PUSH_ROLE_ARN" if job_name == "build-and-push" else "AWS_DEPLOY_ROLE_ARN"
                assert step["with"]["role-to-assume"] == f"${{{{ vars.{role} }}}}", f"{name}/{job_name}"
                assert (role == "AWS_DEPLOY_ROLE_ARN") == (job.get("environment") == "production"), job_name


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_actions_are_pinned_by_sha_with_a_version_comment(name, workflow):
    lines = (WORKFLOWS / name).read_text().splitlines()
    for job in workflow["jobs"].values():
        for step in steps(job):
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), f"{name}: {step['uses']} is not pinned to a full commit SHA"
                (line,) = {line for line in lines if f"uses: {step['uses']}" in line}
                assert re.search(r"# v\d+\.\d+\.\d+$", line), f"{name}: {line.strip()} lacks its version comment"
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_inputs_reach_shell_only_through_env(name, workflow):
    for job_name, job in workflow["jobs"].items():
        for step in steps(job):
            assert "${{" not in step.get("run", ""), f"{name}/{job_name}: inline expression in a run block"


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_every_job_has_a_timeout(name, workflow):
    for job_name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, f"{name}/{job_name}"


def test_concurrency_cancels_ci_but_never_a_deploy(pipeline, destroy):
    assert pipeline["concurrency"]["cancel-in-progress"] == "${{ github.ref != 'refs/heads/main' }}"
    for job in ("deploy", "smoke"):
        assert pipeline["jobs"][job]["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    assert destroy["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}


def test_deploy_uses_exactly_the_image_build_and_push_pushed(pipeline):
    build = pipeline["jobs"]["build-and-push"]
    assert build["outputs"]["image"] == "${{ steps.target.outputs.image }}"
    target = next(step for step in steps(build) if step.get("id") == "target")
    assert 'image="${url}:${TAG}"' in target["run"] and build["env"]["TAG"] == "${{ github.sha }}"
    push_step = next(step for step in steps(build) if step.get("id") == "push")
    assert push_step["env"]["IMAGE"] == "${{ steps.target.outputs.image }}" and "make push" in push_step["run"]
    deploy = pipeline["jobs"]["deploy"]
    assert deploy["env"]["IMAGE"] == "${{ needs.build-and-push.outputs.image }}"
    assert deploy["environment"] == "production"
    assert 'make deploy IMAGE="$IMAGE"' in next(s for s in steps(deploy) if s.get("id") == "deploy")["run"]


def test_the_image_is_run_before_it_is_pushed_and_its_scan_gates_the_deploy(pipeline):
    build = pipeline["jobs"]["build-and-push"]
    assert run_index(build, "make images") < run_index(build, "make image-check") < run_index(build, "make push")
    gate = steps(build)[run_index(build, "make scan-gate")]
    assert run_index(build, "make push") < steps(build).index(gate) and "if" not in gate
    assert pipeline["jobs"]["deploy"]["needs"] == "build-and-push"


def test_the_build_job_touches_no_infrastructure(pipeline):
    """Its role can push one repository; Terraform is the deploy job's."""
    build = pipeline["jobs"]["build-and-push"]
    assert not [s for s in steps(build) if "terraform" in s.get("uses", "") + s.get("run", "")]
    assert not [s for s in steps(build) if re.search(r"make (-s )?(ecr-apply|deploy|ecr-url)\b", s.get("run", ""))]
    deploy = pipeline["jobs"]["deploy"]
    assert run_index(deploy, "make ecr-apply") < run_index(deploy, "make deploy")


def test_smoke_rolls_back_to_the_previous_image_and_fails(pipeline):
    smoke = pipeline["jobs"]["smoke"]
    assert smoke["env"]["PREVIOUS_IMAGE"] == "${{ needs.deploy.outputs.previous }}"
    assert pipeline["jobs"]["deploy"]["outputs"]["previous"] == "${{ steps.previous.outputs.image }}"
    rollback = next(step for step in steps(smoke) if 'make deploy IMAGE="$PREVIOUS_IMAGE"' in step.get("run", ""))
    assert rollback["if"].startswith("failure()")
    assert rollback["run"].rstrip().endswith("exit 1")
    assert run_index(smoke, "make smoke") < steps(smoke).index(rollback)


def test_gates_run_on_a_fresh_model_and_publish_the_card(pipeline):
    gates = pipeline["jobs"]["gates"]
    assert run_index(gates, "make model") < run_index(gates, "git diff --exit-code") < run_index(gates, "make gates")
    assert pipeline["env"]["SPEC"] == str(DEFAULT_SPEC), "the pipeline ships the default model unless told otherwise"
    upload = next(step for step in steps(gates) if "upload-artifact" in step.get("uses", ""))
    assert "models/**/*.json" in upload["with"]["path"]
    assert "GITHUB_STEP_SUMMARY" in steps(gates)[run_index(gates, "GITHUB_STEP_SUMMARY")]["run"]


def test_destroy_is_manual_confirmed_and_leaves_ecr(destroy):
    assert set(triggers(destroy)) == {"workflow_dispatch"}
    (job,) = destroy["jobs"].values()
    assert job["env"]["CONFIRM"] == "${{ inputs.confirm }}"
    assert run_index(job, '"$CONFIRM" != "destroy production"') == 0
    assert "make destroy-service" in steps(job)[-1]["run"]
    text = (WORKFLOWS / "destroy.yml").read_text()
    assert "ecr" not in text.split("jobs:")[1].lower()


def makefile_targets(repo_root: Path) -> set[str]:
    text = (repo_root / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.M))


def test_every_make_target_a_job_calls_exists(repo_root):
    targets = makefile_targets(repo_root)
    called = set()
    for _, workflow in all_workflows():
        for job in workflow["jobs"].values():
            for step in steps(job):
                called |= set(re.findall(r"\bmake (?:-s )?([a-z][a-z0-9-]*)", step.get("run", "")))
    assert called, "no job calls make"
    assert called <= targets, f"missing make targets: {called - targets}"


def run_blocks() -> list[tuple[str, str]]:
    blocks = []
    for name, workflow in all_workflows():
        for job_name, job in workflow["jobs"].items():
            for index, step in enumerate(steps(job)):
                if "run" in step:
                    blocks.append((f"{name}/{job_name}/{index}", step["run"]))
    return blocks


@pytest.mark.parametrize(("where", "script"), run_blocks(), ids=[where for where, _ in run_blocks()])
def test_run_blocks_pass_shellcheck(where, script, tmp_path):
    shellcheck = shutil.which("shellcheck") or str(Path(__file__).parents[2] / ".venvs/dev/bin/shellcheck")
    path = tmp_path / "step.sh"
    # As GitHub runs them with the workflows' `shell: bash` (test_run_steps.py checks that).
    path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
    result = subprocess.run([shellcheck, "-s", "bash", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, f"{where}:\n{result.stdout}"


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_every_workflow_runs_its_steps_with_pipefail(name, workflow):
    assert workflow["defaults"]["run"]["shell"] == "bash", f"{name}: bash is what gives -o pipefail"


def test_deploy_checks_which_image_ecs_runs_and_smoke_which_release_answers(pipeline):
    deploy = pipeline["jobs"]["deploy"]
    assert run_index(deploy, "make deploy") < run_index(deploy, "make -s running-image")
    check = steps(deploy)[run_index(deploy, "make -s running-image")]["run"]
    assert '"$running" != "$IMAGE"' in check and "exit 1" in check
    smoke = pipeline["jobs"]["smoke"]
    assert pipeline["jobs"]["smoke"]["env"]["RELEASE"] == "${{ github.sha }}"
    assert 'EXPECT_RELEASE="$RELEASE"' in steps(smoke)[run_index(smoke, "make smoke")]["run"]


def test_each_check_runs_once_per_pipeline(pipeline, repo_root):
    # `make test` is lint + workflow-lint + pytest: a job calling it after the lint
    # job would run both linters a second time.
    composite = re.search(r"^test: (.*?) ##", (repo_root / "Makefile").read_text(), flags=re.M)[1].split()
    called: list[str] = []
    for job in pipeline["jobs"].values():
        for step in steps(job):
            for target in re.findall(r"\bmake (?:-s )?([a-z][a-z0-9-]*)", step.get("run", "")):
                called += composite if target == "test" else [target]
    for check in ("lint", "workflow-lint", "pytest", "tf-fmt"):
        assert called.count(check) == 1, f"{check} runs {called.count(check)} times"
