"""terraform, run offline where a local provider mirror exists: the infra roots, one
way to init and run them, and the variables' defaults as the .tf files declare them."""
import os
import subprocess
from pathlib import Path

import hcl2
from hcl2 import SerializationOptions

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


# python-hcl2's reading of a .tf file: strings without their quotes, blocks as plain values.
OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def defaults(path: Path) -> dict:
    """The default of each variable declared in a variables.tf that has one."""
    document = hcl2.loads(path.read_text(), serialization_options=OPTIONS)
    values = {}
    for block in document["variable"]:
        for name, body in block.items():
            if "default" in body:
                values[name] = body["default"]
    return values
