"""Missing values (gaps): read from the CSV, discovered per column in the fitted
pipeline, probed by the parity gate, and recorded in the card as accepted or refused."""
import json
import platform
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from export.cli import EXIT_BAD_INPUT, EXIT_OK, main
from export.datasets import load_table
from export.equivalence import BYTE_REPRODUCIBLE_MACHINES
from export.gaps import IMPUTE_ADVICE, Gaps, gap_probe_sets
from export.pipeline import GateOptions, GateOutcome, build
from export.probes import Categories
from export.report import parity_report
from export.rows import Rows, Schema
from export.spec import Feature, SpecError, load_spec
from export.train import preprocessing, train
from gateway.model.contract import MISSING_CATEGORY
from tests.specs import LOANS_NUMBERS, numbers_only_loans

# Enough random points to exercise every probe set, few enough for a fast test.
OPTIONS = GateOptions(random_points=2000)
LOANS_GAPS = ("age", "income", "years_employed", "employment")
LOANS_COMPLETE = ("loan_amount", "home")
GAP_SET_PREFIXES = ("gap in ", "many gaps", "gaps in ", "random box with gaps")
FOREST = """from sklearn.ensemble import RandomForestClassifier


def build():
    return RandomForestClassifier(n_estimators=10, random_state=0)
"""

# A small table: the target sits between the features (data row i is on line i + 2).
COLUMNS = ("x", "c", "y", "z")


def table(folder: Path, data: str, cells: Mapping[tuple[int, str], str] | None = None) -> Path:
    """A 12-row seeded CSV with `cells` ((row, column) -> text) overridden, and a spec
    reading it with `data` as the rest of its [data] table; the spec's path."""
    rng = np.random.default_rng(7)
    lines = [",".join(COLUMNS)]
    for row in range(12):
        values = {"x": f"{rng.normal():.3f}", "c": "ab"[row % 2], "y": "no" if row % 3 else "yes",
                  "z": str(int(rng.integers(0, 100)))}
        values.update({column: text for (at, column), text in (cells or {}).items() if at == row})
        lines.append(",".join(values[column] for column in COLUMNS))
    (folder / "table.csv").write_text("\n".join(lines) + "\n")
    spec = folder / "table.toml"
    spec.write_text(f'[model]\nname = "table"\n[data]\ncsv = "table.csv"\ntarget = "y"\n{data}\n'
                    '[estimator]\nbuiltin = "logistic_regression"\n[gate]\nthreshold = 0.5\n')
    return spec


LISTED = 'missing = ["", "NA"]\n[data.features]\nx = "number"\nc = "category"\nz = "number"'
DEFAULT = '[data.features]\nx = "number"\nc = "category"\nz = "number"'


def columns(outcome: GateOutcome) -> dict[str, dict]:
    assert outcome.card is not None
    return {column["name"]: column for column in outcome.card["feature_columns"]}


def set_names(outcome: GateOutcome) -> list[str]:
    return [s.name for s in outcome.parity.sets]


def gap_sets(outcome: GateOutcome) -> list[str]:
    return [name for name in set_names(outcome) if name.startswith(GAP_SET_PREFIXES)]


# --- data: the cells that mean "missing" -------------------------------------------------


def test_listed_tokens_are_gaps_nan_in_numbers_and_the_empty_string_in_categories(tmp_path):
    cells = {(1, "x"): "NA", (2, "x"): "", (3, "c"): "NA", (4, "c"): "", (5, "z"): "NA"}
    rows = load_table(load_spec(table(tmp_path, LISTED, cells))).rows
    assert np.isnan(rows.numbers[[1, 2], 0]).all() and np.isnan(rows.numbers[5, 1])
    assert rows.categories[3, 0] == rows.categories[4, 0] == MISSING_CATEGORY
    expected = np.zeros((12, 3), dtype=bool)
    expected[[1, 2], 0] = expected[[3, 4], 1] = expected[5, 2] = True
    assert (rows.missing() == expected).all()
    assert set(rows.categories[~expected[:, 1], 0]) == {"a", "b"}


@pytest.mark.parametrize("data, token", [(LISTED, "n/a"), (DEFAULT, "NA")], ids=["unlisted n/a", "NA by default"])
def test_an_unlisted_token_fails_naming_line_column_and_the_listed_tokens(tmp_path, data, token):
    with pytest.raises(SpecError) as error:
        load_table(load_spec(table(tmp_path, data, {(3, "z"): token})))
    message = str(error.value)
    assert f"line 5, column 'z': '{token}' is not a number" in message
    assert "[data] missing" in message and "table.csv" in message


@pytest.mark.parametrize("token", ["NaN", "inf", "-Infinity"])
def test_nan_or_infinity_text_is_not_a_finite_number(tmp_path, token):
    with pytest.raises(SpecError, match=re.escape(f"line 8, column 'x': '{token}' is not a finite number")):
        load_table(load_spec(table(tmp_path, LISTED, {(6, "x"): token})))


@pytest.mark.parametrize("token", ["", "NA"])
def test_a_gap_in_the_target_fails_naming_its_line(tmp_path, token):
    with pytest.raises(SpecError, match=re.escape("line 7, column 'y': the target is missing")):
        load_table(load_spec(table(tmp_path, LISTED, {(5, "y"): token})))


@pytest.mark.parametrize("column, token", [("x", ""), ("z", "NA"), ("c", "NA")])
def test_a_column_missing_in_every_row_fails(tmp_path, column, token):
    cells = {(row, column): token for row in range(12)}
    with pytest.raises(SpecError, match=re.escape(f"column {column!r} is missing in every row")):
        load_table(load_spec(table(tmp_path, LISTED, cells)))


def test_the_short_form_reads_every_other_column_as_a_number_in_csv_order(tmp_path):
    spec = table(tmp_path, 'other_columns = "number"\n[data.features]\nc = "category"', {(2, "x"): ""})
    rows = load_table(load_spec(spec)).rows
    assert rows.schema.features == (Feature("x", "number"), Feature("c", "category"), Feature("z", "number"))
    assert set(rows.categories[:, 0]) == {"a", "b"} and np.isnan(rows.numbers[2, 0])


def test_the_short_form_without_features_makes_an_unlisted_text_column_a_failing_number(tmp_path):
    with pytest.raises(SpecError, match=re.escape("line 2, column 'c': 'a' is not a number")):
        load_table(load_spec(table(tmp_path, 'other_columns = "number"')))


# --- rows: where the gaps are ---------------------------------------------------------------


SCHEMA = Schema((Feature("a", "number"), Feature("kind", "category"), Feature("b", "number")))


def rows() -> Rows:
    return Rows(SCHEMA, np.array([[1.5, np.nan], [2.0, 3.0]]), np.array([["x"], [MISSING_CATEGORY]], dtype=object))


def test_missing_marks_nan_numbers_and_empty_categories_in_schema_order():
    assert rows().missing().tolist() == [[False, False, True], [False, True, False]]


def test_with_gaps_marks_the_cells_of_each_kind_and_leaves_the_original_alone():
    original = rows()
    mask = np.array([[True, True, False], [False, False, True]])
    gapped = original.with_gaps(mask)
    assert gapped.missing().tolist() == (mask | original.missing()).tolist()
    assert gapped.numbers[1, 0] == 2.0 and gapped.categories[1, 0] == MISSING_CATEGORY
    assert original.missing().tolist() == [[False, False, True], [False, True, False]]
    assert original.categories[0, 0] == "x" and original.numbers[0, 0] == 1.5


def test_row_gives_none_for_a_gap_and_shortest_decimals_otherwise():
    gapped = Rows(SCHEMA, np.array([[0.1, np.nan], [np.nan, 7.7]]), np.array([["x"], [MISSING_CATEGORY]]))
    assert gapped.row(0) == [0.1, "x", None]
    assert gapped.row(1) == [None, None, 7.7]


# --- which gaps the gate probes --------------------------------------------------------------


def test_demoted_columns_are_not_served_and_keep_their_reason():
    gaps = Gaps(("a", "b", "c"), (True, True, False), (0.1, 0.0, 0.0)).demote("b", "because")
    assert gaps.served == [0]
    assert [gaps.status(i) for i in range(3)] == ["accepted", "refused", "refused"]
    assert gaps.reason("b") == "because" and gaps.reason("a") is None


def test_no_gap_probe_set_where_no_gap_is_served(dataset):
    names = tuple(dataset.feature_names)
    gaps = Gaps(names, (True,) * len(names), (0.0,) * len(names)).demote(names[0], "why")
    for name in names[1:]:
        gaps = gaps.demote(name, "why")
    assert gap_probe_sets(dataset, Categories.of(dataset, False), gaps, 0) == []


def test_gap_probe_sets_put_gaps_only_where_they_are_served(dataset):
    names = tuple(dataset.feature_names)
    gaps = Gaps(names, (False, True, False, False), (0.0,) * len(names))
    sets = gap_probe_sets(dataset, Categories.of(dataset, False), gaps, 0)
    assert [s.name for s in sets] == [f"gap in {names[1]}", "many gaps (50% of cells, seed 0)",
                                      "gaps in all 1 columns that take one", "random box with gaps (10%, seed 0)"]
    for probe in sets:
        gapped = probe.rows.missing()
        assert gapped[:, 1].any() and not gapped[:, [0, 2, 3]].any(), probe.name


def test_builtin_preprocessing_imputes_numbers_only_where_there_are_gaps_and_no_native_routing():
    numbers = Schema((Feature("a", "number"),))
    assert preprocessing(numbers, gaps=False, native_gaps=False) == []
    assert preprocessing(numbers, gaps=True, native_gaps=True) == []
    [(_, imputer)] = preprocessing(numbers, gaps=True, native_gaps=False)
    assert type(imputer).__name__ == "SimpleImputer" and imputer.strategy == "median"
    [(_, columns)] = preprocessing(SCHEMA, gaps=True, native_gaps=True)
    parts = {name: step for name, step, _ in columns.transformers}
    assert parts["numbers"] == "passthrough" and parts["categories"].handle_unknown == "ignore"


# --- the loans example: gaps accepted and proven ------------------------------------------


def test_loans_passes_with_every_column_accepted_and_its_training_gap_rate(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "examples" / "loans" / "loans.toml", tmp_path, options=OPTIONS)
    assert outcome.passed and (tmp_path / "loans.json").exists()
    by_name = columns(outcome)
    assert {column["missing"] for column in by_name.values()} == {"accepted"}
    assert all(by_name[name]["missing_rate"] > 0 for name in LOANS_GAPS)
    assert all(by_name[name]["missing_rate"] == 0 for name in LOANS_COMPLETE)
    assert not any("missing_reason" in column for column in by_name.values())
    assert json.loads((tmp_path / "loans.json").read_text())["feature_columns"] == outcome.card["feature_columns"]


def test_verify_compares_two_models_on_the_gap_sets_of_the_columns_the_card_serves(repo_root, tmp_path, capsys):
    """`export verify --reference`, where bytes may differ: the outputs are compared on
    the gap probes too, for the columns whose card says "missing": "accepted"."""
    spec = repo_root / "models" / "examples" / "loans" / "loans.toml"
    assert build(spec, tmp_path, options=OPTIONS).passed
    reference = tmp_path / "reference.onnx"
    reference.write_bytes((tmp_path / "loans.onnx").read_bytes())
    candidate = tmp_path / "candidate.onnx"
    model = onnx.load_from_string((tmp_path / "loans.onnx").read_bytes())
    model.doc_string = "the same model, other bytes"
    candidate.write_bytes(model.SerializeToString())
    code = main(["verify", "--card", str(tmp_path / "loans.json"), "--model", str(candidate),
                 "--reference", str(reference)])
    output = capsys.readouterr().out
    assert "gap in age" in output and "random box with gaps" in output
    # Where bytes are promised (x86-64) other bytes are refused; elsewhere equal outputs pass.
    assert (code == EXIT_OK) == (platform.machine() not in BYTE_REPRODUCIBLE_MACHINES)
    assert "same outputs: PASS" in output


def test_loans_parity_probes_each_column_alone_many_every_and_the_random_box(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "examples" / "loans" / "loans.toml", tmp_path, options=OPTIONS)
    names = gap_sets(outcome)
    assert names[:6] == [f"gap in {name}" for name in outcome.card["features"]]
    assert names[6].startswith("many gaps") and names[7] == "gaps in every column"
    assert names[8].startswith("random box with gaps") and len(names) == 9
    recorded = {s["name"]: s for s in outcome.card["gates"]["parity"]["sets"]}
    assert all(recorded[name]["label_mismatches"] == 0 and recorded[name]["rows"] > 0 for name in names)


def test_loans_card_lists_no_gap_marker_as_a_category_and_shows_complete_examples(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "examples" / "loans" / "loans.toml", tmp_path, options=OPTIONS)
    by_name = columns(outcome)
    for name in ("employment", "home"):
        assert by_name[name]["categories"] and MISSING_CATEGORY not in by_name[name]["categories"]
    assert all(MISSING_CATEGORY not in seen for seen in outcome.card["parity_region"]["categories"]["seen"])
    examples = outcome.card["examples"]
    assert len(examples) == 2 and all(None not in example["features"] for example in examples)


# --- a forest without an imputer: gaps in training, routing lost in the conversion ------------


def test_a_forest_without_imputer_fails_parity_and_the_note_advises_an_imputer(repo_root, tmp_path):
    spec = numbers_only_loans(tmp_path, repo_root, "gaps_forest", FOREST)
    outcome = build(spec, tmp_path, options=OPTIONS)
    assert not outcome.parity.passed and not outcome.passed and outcome.card is None
    assert not (tmp_path / "gaps_forest.onnx").exists() and not (tmp_path / "gaps_forest.json").exists()
    assert outcome.parity.notes
    noted = {note.split(":")[0] for note in outcome.parity.notes}
    assert noted and noted <= set(LOANS_NUMBERS) - {"loan_amount"}
    # loan_amount had no gap in training: refused (demoted) rather than probed.
    assert "gap in loan_amount" not in set_names(outcome) and "gap in age" in set_names(outcome)
    assert all("SimpleImputer" in note and note.endswith(IMPUTE_ADVICE) for note in outcome.parity.notes)
    report = parity_report(outcome.parity)
    assert all(note in report for note in outcome.parity.notes)
    assert report.endswith("parity gate: FAIL")


# --- Iris: no gaps in training ------------------------------------------------------------------


def test_iris_forest_refuses_every_gap_with_the_reason(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "iris.toml", tmp_path, "random_forest", options=OPTIONS)
    assert outcome.passed
    for column in columns(outcome).values():
        assert column["missing"] == "refused" and column["missing_rate"] == 0
        assert "the ONNX model answers" in column["missing_reason"]
        assert "SimpleImputer" in column["missing_reason"]
    assert gap_sets(outcome) == []


def test_iris_forest_reason_counts_each_kind_of_failure_within_the_rows(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "iris.toml", tmp_path, "random_forest", options=OPTIONS)
    for column in columns(outcome).values():
        counts = re.search(r"(\d+) label differences and (\d+) rows of probabilities beyond tolerance in (\d+) rows",
                           column["missing_reason"])
        assert counts is not None, column["missing_reason"]
        labels, probabilities, rows = (int(counts[i]) for i in (1, 2, 3))
        assert 0 < max(labels, probabilities) <= rows, column["missing_reason"]


def test_iris_logistic_refuses_every_gap_without_a_reason_and_probes_none(repo_root, tmp_path):
    outcome = build(repo_root / "models" / "iris.toml", tmp_path, options=OPTIONS)
    assert outcome.passed
    for column in columns(outcome).values():
        assert column["missing"] == "refused" and "missing_reason" not in column
    assert gap_sets(outcome) == [] and set_names(outcome)


# --- the builtins' standard preprocessing ---------------------------------------------------------


def test_hist_gradient_boosting_routes_loans_gaps_itself_and_passes(repo_root, tmp_path):
    spec = repo_root / "models" / "examples" / "loans_hgb" / "loans_hgb.toml"
    outcome = build(spec, tmp_path, options=OPTIONS)
    assert outcome.passed
    assert outcome.card["estimator"]["steps"] == "Pipeline(ColumnTransformer, HistGradientBoostingClassifier)"
    assert "SimpleImputer" not in outcome.card["estimator"]["steps"]
    assert outcome.card["features"] == ["age", "income", "loan_amount", "years_employed", "employment", "home"]
    assert {column["missing"] for column in columns(outcome).values()} == {"accepted"}
    assert "gaps in every column" in gap_sets(outcome) and len(gap_sets(outcome)) == 9
    # The card's steps stop at the ColumnTransformer: look inside for an imputer.
    parts = train(load_spec(spec)).estimator.named_steps["columns"].transformers
    assert [(name, step) for name, step, _ in parts if name == "numbers"] == [("numbers", "passthrough")]


def hgb_with_categorical_features(repo_root: Path, folder: Path) -> Path:
    text = (repo_root / "models" / "examples" / "loans_hgb" / "loans_hgb.toml").read_text()
    csv = (repo_root / "models" / "examples" / "loans" / "loans.csv").as_posix()
    text = text.replace('"../loans/loans.csv"', f'"{csv}"').replace(
        'builtin = "hist_gradient_boosting"', 'builtin = "hist_gradient_boosting"\n'
        'params = { categorical_features = [0] }')
    assert "categorical_features" in text and csv in text
    spec = folder / "loans_hgb.toml"
    spec.write_text(text)
    return spec


def never_fit(*args, **kwargs):
    raise AssertionError("fit was called")


def test_hist_gradient_boosting_categorical_features_are_refused_before_training(
        repo_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", never_fit)
    spec = hgb_with_categorical_features(repo_root, tmp_path)
    with pytest.raises(SpecError, match="sklearn-onnx issues"):
        build(spec, tmp_path, options=OPTIONS)
    assert main(["build", "--spec", str(spec), "--out", str(tmp_path), "--random-points", "2000"]) == EXIT_BAD_INPUT
    assert "sklearn-onnx issues" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["loans_hgb.toml"]


NESTED = """from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline


def build():
    model = HistGradientBoostingClassifier(categorical_features=[0], max_iter=5)
    return Pipeline([("inner", Pipeline([("model", model)]))])
"""


def test_categorical_features_are_refused_inside_a_nested_pipeline(repo_root, tmp_path):
    spec = numbers_only_loans(tmp_path, repo_root, "gaps_nested_hgb", NESTED)
    with pytest.raises(SpecError, match="sklearn-onnx issues"):
        train(load_spec(spec))


def test_a_builtin_on_categories_gets_one_hot_encoding_and_takes_their_gaps(repo_root, tmp_path, capsys):
    spec = repo_root / "models" / "examples" / "churn" / "churn.toml"
    code = main(["build", "--spec", str(spec), "--estimator", "logistic_regression", "--out", str(tmp_path),
                 "--random-points", "2000"])
    assert code == EXIT_OK, capsys.readouterr().out
    card = json.loads((tmp_path / "churn.json").read_text())
    assert card["estimator"]["name"] == "logistic_regression"
    assert card["estimator"]["steps"] == "Pipeline(ColumnTransformer, LogisticRegression)"
    missing = {column["name"]: column["missing"] for column in card["feature_columns"]}
    # No gaps in churn.csv: the numbers go to the model unimputed and refuse a gap; the
    # encoder answers a missing category as an unseen one, and parity proved it.
    assert missing == {"tenure_months": "refused", "monthly_charges": "refused", "support_calls": "refused",
                       "plan": "accepted", "region": "accepted"}
    sets = [s["name"] for s in card["gates"]["parity"]["sets"]]
    assert "gap in plan" in sets and "gaps in all 2 columns that take one" in sets


def test_make_gates_fails_a_card_whose_missing_claims_differ_from_what_the_gates_prove(repo_root, tmp_path, capsys):
    """The gateway serves a gap where the card says "accepted": a card edited to claim
    otherwise than the gates prove is refused, naming the column."""
    assert build(repo_root / "models" / "examples" / "loans" / "loans.toml", tmp_path, options=OPTIONS).passed
    card_path = tmp_path / "loans.json"
    card = json.loads(card_path.read_text())
    assert main(["gates", "--card", str(card_path), "--random-points", "2000"]) == EXIT_OK
    card["feature_columns"][1]["missing"] = "refused"
    card_path.write_text(json.dumps(card))
    capsys.readouterr()
    assert main(["gates", "--card", str(card_path), "--random-points", "2000"]) == EXIT_BAD_INPUT
    assert "says a missing income is refused, but the gates prove it accepted" in capsys.readouterr().err
