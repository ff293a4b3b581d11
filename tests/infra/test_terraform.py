"""terraform fmt, validate and test (mocked provider) for every root module."""
import pytest

from gateway.api.probes import HEALTH_PATH, LIVE_PATH
from gateway.settings import Settings
from tests.infra.terraform import ROOTS

pytestmark = pytest.mark.terraform


def test_formatting(terraform, infra):
    result = terraform.run(infra, "fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


@pytest.mark.parametrize("root", ROOTS)
def test_validate_and_test(terraform, infra, root):
    directory = infra / root
    terraform.init(directory)
    terraform.run(directory, "validate", "-no-color")
    # The service's contract assertions compare against the gateway's own values.
    contract = [
        f"-var=container_port={Settings().port}", f"-var=admin_port={Settings().admin_port}",
        f"-var=health_check_path={HEALTH_PATH}", f"-var=liveness_path={LIVE_PATH}",
    ]
    result = terraform.run(directory, "test", "-no-color", *(contract if root == "service" else []), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout
