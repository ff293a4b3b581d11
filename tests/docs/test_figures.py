"""README.md, docs/ and bench/README.md agree with the code and the committed results:
every link resolves, every setting is documented with its real default, every make
target named exists, and each figure that can drift is read from where it is made.
Benchmark figures live in bench/results.md (made from bench/results.json), never in
code comments: the pages that quote them are held to that page."""
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bench.report import headline
from gateway.app import create_app
from gateway.settings import Settings, from_env
from tests.gateway.served.test_amplification import SHAPES
from tests.gateway.served.test_hostile import CORPUS
from tests.support import REPO_ROOT

PAGES = sorted([REPO_ROOT / "README.md", REPO_ROOT / "bench" / "README.md", *(REPO_ROOT / "docs").glob("*.md")])
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def text(relative: str) -> str:
    return (REPO_ROOT / relative).read_text()


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    inside, found = False, set()
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO_ROOT)) for p in PAGES])
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in re.findall(r'(?:\]\(|src=")([^)"\s]+)', page.read_text()):
        if re.match(r"(https?:|mailto:)", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path) if path else page
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(target)
    assert broken == []


def test_every_setting_is_documented_with_its_real_default():
    table = dict(re.findall(r"^\| `(GATEWAY_[A-Z_]+)` \| `([^`]*)` \|", text("docs/operations.md"), flags=re.M))
    names = {f"GATEWAY_{field.name.upper()}": field for field in fields(Settings)}
    assert set(table) == set(names)
    for variable, documented in table.items():
        assert getattr(from_env({variable: documented}), names[variable].name) == names[variable].default, variable


def test_every_make_target_the_pages_name_exists():
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", text("Makefile"), flags=re.M))
    named = {name for page in PAGES for name in re.findall(r"`make ([a-z][a-z0-9-]*)", page.read_text())}
    assert named - targets == set()


def test_the_counts_of_operations_hostile_requests_and_amplifying_bodies(repo_root):
    settings = Settings(model_path=repo_root / "models" / "iris.onnx", card_path=repo_root / "models" / "iris.json")
    with TestClient(create_app(settings)) as client:
        document = client.get("/openapi.json").json()
    operations = sum(method in HTTP_METHODS for item in document["paths"].values() for method in item)
    page = text("docs/verification.md")
    assert re.findall(r"all (\d+) operations of the public document", page) == [str(operations)]
    assert set(re.findall(r"(\d+) hostile raw", page)) == {str(len(CORPUS))}
    assert re.findall(r"(\d+) bodies under the size limit", page) == [str(len(SHAPES))]
    assert re.findall(r"(\d+) small bodies built to amplify", page) == [str(len(SHAPES))]


def test_the_ml_opset_quoted_is_the_cards(repo_root):
    card = json.loads((repo_root / "models" / "iris.json").read_text())
    quoted = re.findall(r"the lowest version the graph needs: (\d+) for the shipped model", text("docs/export.md"))
    assert quoted == [str(card["onnx"]["opsets"]["ai.onnx.ml"])]


def results_headline() -> list[str]:
    """The headline of bench/results.md, the page the README's figures come from."""
    (section,) = re.findall(r"^## Headline\n(.*?)\n## ", text("bench/results.md"), flags=re.S | re.M)
    return [line.removeprefix("- ") for line in section.strip().splitlines()]


def test_the_results_pages_headline_is_the_committed_run():
    assert results_headline() == headline(json.loads(text("bench/results.json")))


def test_the_readmes_speed_figures_are_the_results_pages():
    lines = results_headline()
    figures = {
        "flask": next(line for line in lines if line.startswith("gateway vs original Flask")),
        "fastapi": next(line for line in lines if line.startswith("gateway vs FastAPI")),
        "p99": next(line for line in lines if line.startswith("p99 at 1 connection")),
        "minimal": next(line for line in lines if "of the minimal handler" in line),
    }
    (speed,) = re.findall(r"^## Speed\n(.*?)\n## ", text("README.md"), flags=re.S | re.M)
    (versus_flask,) = re.findall(r"\*\*([\d.]+x)\*\* the original", speed)
    (versus_fastapi,) = re.findall(r"([\d.]+x) FastAPI", speed)
    (p99,) = re.findall(r"p99 of ([\d.]+ ms)", speed)
    assert f"**{versus_flask}**" in figures["flask"]
    assert f"**{versus_fastapi}**" in figures["fastapi"]
    assert figures["p99"].startswith(f"p99 at 1 connection: {p99} with the access log")
    (versus_minimal,) = re.findall(r"(\d+%) of a minimal handler", " ".join(speed.split()))
    assert f"**{versus_minimal}**" in figures["minimal"]


def test_the_readme_names_the_run_its_figures_come_from():
    results = json.loads(text("bench/results.json"))
    (speed,) = re.findall(r"^## Speed\n(.*?)\n## ", text("README.md"), flags=re.S | re.M)
    speed = " ".join(speed.split())
    assert re.findall(r"on a (\d+)-core", speed) == [str(results["machine"]["cpus"])]
    assert f'({results["machine"]["cpu"]};' in speed
    assert re.findall(r"Python ([\d.]+)", speed) == [results["machine"]["python"]]
    assert re.findall(r"on (\d{4}-\d{2}-\d{2})", speed) == [results["when"][:10]]
