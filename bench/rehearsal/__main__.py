"""`python -m bench.rehearsal`: run the scenarios, print and write the report.

    make rehearsal                                   # full timings, all four scenarios
    python -m bench.rehearsal --scale 0.1 --short    # what make test runs (scenarios 1 to 3)
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.rehearsal import scenarios
from bench.rehearsal.replicas import engine_works
from bench.rehearsal.report import markdown
from bench.rehearsal.stage import Stage
from bench.rehearsal.timings import terraform_defaults

OUT = Path(__file__).resolve().parents[1]


def run(scale: float, short: bool, image: str | None, work: Path) -> dict:
    timings = terraform_defaults().scaled(scale)
    stage = Stage(work, timings, scenarios.slots(), image)
    report: dict = {"backend": stage.backend, "image": image, "scale": scale, "timings": timings.as_dict()}
    try:
        scenarios.start_fleet(stage)
        report["rolling_replacement"] = scenarios.rolling_replacement(stage)
        report["killed_replica"] = scenarios.killed_replica(stage)
        report["never_ready"] = scenarios.never_ready(stage)
        if not short:
            report["overload"] = scenarios.overload(stage)
        report["launch_seconds"] = [round(s, 2) for s in stage.launch_seconds]
    finally:
        stage.close()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="iris-serve:local", help="the serve image (%(default)s)")
    parser.add_argument("--processes", action="store_true", help="gateway processes from the serve venv instead")
    parser.add_argument("--scale", type=float, default=1.0, help="every duration times this (%(default)s)")
    parser.add_argument("--short", action="store_true", help="scenarios 1 to 3 only")
    parser.add_argument("--json", type=Path, help="write the figures here (default: bench/rehearsal.json)")
    args = parser.parse_args()
    image = None if args.processes or not engine_works() else args.image
    with tempfile.TemporaryDirectory(prefix="rehearsal-") as work:
        report = run(args.scale, args.short, image, Path(work))
    report["command"] = "python -m bench.rehearsal " + " ".join(sys.argv[1:])
    report["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = markdown(report)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    else:
        (OUT / "rehearsal.json").write_text(json.dumps(report, indent=2) + "\n")
        (OUT / "rehearsal.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
