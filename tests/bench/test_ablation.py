"""bench/ablation.py: every feature it takes out still exists, the gateway still
answers without them, and the table is the difference of the counts."""
import subprocess
import sys

import pytest

from bench.ablation import ABLATIONS, ALL, NAMES, _replace, report
from tests.support import REPO_ROOT


def test_the_gateway_answers_every_request_with_every_feature_taken_out():
    """bench.inprocess exits non-zero unless every answer is a 200, and an ablation
    whose method was renamed fails instead of taking nothing out."""
    done = subprocess.run([sys.executable, "-m", "bench.inprocess", "--requests", "50", "--repeats", "1",
                           "--without", ALL], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "without all," in done.stdout


def test_a_stale_ablation_fails_instead_of_measuring_nothing():
    class Owner:
        def record(self):
            return "kept"

    _replace(Owner, "record", lambda self: None)
    assert Owner().record() is None
    with pytest.raises(AttributeError, match="stale"):
        _replace(Owner, "renamed", lambda self: None)


def test_the_table_gives_each_feature_the_instructions_its_absence_saves():
    counts = {(): 130_000.0, ("--minimal",): 80_000.0, ("--without", ALL): 90_000.0}
    counts.update({("--without", ablation.name): 130_000.0 - 1_000 * (i + 1) for i, ablation in enumerate(ABLATIONS)})
    text = report(lambda options: counts[tuple(options)])
    assert text.startswith("130,000 instructions per single-row request, access log on (callgrind); the minimal"
                           " handler 80,000\n")
    for i, ablation in enumerate(ABLATIONS):
        assert f"{1_000 * (i + 1):7,}  {ablation.name}: {ablation.removes}\n" in text
    assert " 40,000  all of them at once\n" in text
    assert "90,000 instructions without any of them: 10,000 above the minimal handler" in text


def test_every_ablation_has_a_name_of_its_own():
    assert len(set(NAMES)) == len(NAMES) == len(ABLATIONS) + 1
