"""terraform, run offline where a local provider mirror exists: the infra roots, and
one way to init and run them."""
import os
import subprocess
from pathlib import Path

ROOTS = ("bootstrap", "ecr", "service")
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"


def plugin_dir() -> Path | None:
    """A local mirror of the AWS provider, so init needs no network (TF_PLUGIN_DIR, or
    where terraform looks); None means init downloads from the registry."""
    candidates = [os.environ.get("TF_PLUGIN_DIR"), "/opt/tf-plugins", "~/.terraform.d/plugins"]
    for candidate in filter(None, candidates):
        path = Path(candidate).expanduser()
        if (path / PROVIDER).is_dir():
            return path
    return None


class Terraform:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
        configured = self.env.get("TF_CLI_CONFIG_FILE")
        if configured and not Path(configured).exists():
            self.env["TF_CLI_CONFIG_FILE"] = os.devnull  # the preset names a missing file
        self.plugins = plugin_dir()

    def run(self, cwd: Path, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.binary, *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
        return result

    def init(self, cwd: Path, backend: bool = False) -> None:
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        if self.plugins is not None:
            args.append(f"-plugin-dir={self.plugins}")
        self.run(cwd, *args)
