"""Every run: step, executed the way GitHub executes it, fails when a make target it
calls fails; and a re-run of build-and-push skips what was already pushed.

GitHub runs a step without `shell:` as `bash -e {0}` (no pipefail) and one with
`shell: bash` as `bash --noprofile --norc -eo pipefail {0}` (GitHub's workflow
syntax reference, "jobs.<job_id>.steps[*].shell").
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.workflows.test_workflows import all_workflows, steps

GITHUB_SHELLS = {
    None: ["bash", "-e"],
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
}
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
PLACEHOLDER = "0123abcd"
REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-gateway"


def shell_of(workflow: dict, job: dict, step: dict) -> str | None:
    for scope in (step, job.get("defaults", {}).get("run", {}), workflow.get("defaults", {}).get("run", {})):
        if scope.get("shell"):
            return scope["shell"]
    return None


def make_steps() -> list[tuple[str, dict, dict, dict]]:
    found = []
    for name, workflow in all_workflows():
        for job_name, job in workflow["jobs"].items():
            for index, step in enumerate(steps(job)):
                if re.search(r"\bmake\b", step.get("run", "")):
                    found.append((f"{name}/{job_name}/{index}", workflow, job, step))
    return found


def stub_make(directory: Path, body: str) -> None:
    make = directory / "make"
    make.write_text("#!/bin/sh\n" + body)
    make.chmod(0o755)


def run_step(workflow: dict, job: dict, step: dict, stubs: Path, work: Path, shell: list[str] | None = None):
    """Run one step's script as GitHub would, with `make` replaced by the stub in `stubs`."""
    env = {"PATH": f"{stubs}:{os.environ['PATH']}", "HOME": str(work)}
    for scope in (workflow, job, step):
        for key, value in (scope.get("env") or {}).items():
            # Expressions are GitHub's to fill; one plausible value stands in for all.
            env[key] = EXPRESSION.sub(PLACEHOLDER, str(value))
    env["GITHUB_OUTPUT"] = str(work / "output")
    env["GITHUB_STEP_SUMMARY"] = str(work / "summary")
    script = work / "step.sh"
    script.write_text(step["run"])
    command = shell or GITHUB_SHELLS[shell_of(workflow, job, step)]
    return subprocess.run([*command, str(script)], cwd=work, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("where", "workflow", "job", "step"), make_steps(), ids=[m[0] for m in make_steps()])
def test_a_failing_make_target_fails_the_step(tmp_path, where, workflow, job, step):
    stub_make(tmp_path, 'echo "make $* failed (stub)" >&2\nexit 2\n')
    result = run_step(workflow, job, step, tmp_path, tmp_path)
    assert result.returncode != 0, f"{where} passed although make failed:\n{step['run']}"


def test_without_pipefail_a_piped_gate_would_pass(tmp_path):
    # Why the workflows set `shell: bash`: the same gate step under GitHub's
    # default shell hides the failing make behind tee.
    pipeline = dict(all_workflows())["ci-cd.yml"]
    gates = pipeline["jobs"]["gates"]
    (step,) = [s for s in steps(gates) if "make model" in s.get("run", "")]
    assert "|" in step["run"], "the gate step pipes its report"
    stub_make(tmp_path, "exit 2\n")
    assert run_step(pipeline, gates, step, tmp_path, tmp_path, GITHUB_SHELLS[None]).returncode == 0
    assert run_step(pipeline, gates, step, tmp_path, tmp_path).returncode != 0


def skipped(step: dict, outputs: dict[str, dict[str, str]]) -> bool:
    """Evaluate the one `if:` form build-and-push uses: steps.<id>.outputs.<name> != '<value>'."""
    condition = step.get("if")
    if condition is None:
        return False
    match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+) != '([^']*)'", condition.strip())
    assert match, f"unexpected condition {condition!r}"
    return not (outputs.get(match[1], {}).get(match[2]) != match[3])


@pytest.mark.parametrize("already_pushed", [True, False])
def test_a_rerun_deploys_the_pushed_image_without_rebuilding(tmp_path, already_pushed):
    pipeline = dict(all_workflows())["ci-cd.yml"]
    build = pipeline["jobs"]["build-and-push"]
    answer = "yes" if already_pushed else "no"
    stub_make(tmp_path, f"""echo "$*" >> {tmp_path}/calls
case "$*" in
  "-s repository-url") echo {REPOSITORY} ;;
  "-s image-exists IMAGE="*) echo {answer} ;;
esac
""")
    outputs: dict[str, dict[str, str]] = {}
    for step in steps(build):
        if "run" not in step:
            assert already_pushed == skipped(step, outputs) or "ecr-login" not in step.get("uses", "")
            continue
        if skipped(step, outputs):
            continue
        (tmp_path / "output").write_text("")
        result = run_step(pipeline, build, step, tmp_path, tmp_path)
        assert result.returncode == 0, result.stderr
        if step.get("id"):
            lines = (tmp_path / "output").read_text().splitlines()
            outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    calls = (tmp_path / "calls").read_text()
    built = any(call.startswith(("images", "image-check", "push")) for call in calls.splitlines())
    assert built is not already_pushed, calls
    assert "scan-gate IMAGE=" in calls, "the scan gates the image, re-run or not"
    image = build["outputs"]["image"]
    step_id, name = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", image).groups()
    # Built now or by the earlier attempt, deploy gets the commit's image.
    assert outputs[step_id][name] == f"{REPOSITORY}:{PLACEHOLDER}"
