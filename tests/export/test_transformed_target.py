"""TransformedTargetRegressor converts for the log/exp pairs (export/transformed_target.py)
and passes the parity gate; any other transformation is refused with the reason."""
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from skl2onnx._supported_operators import sklearn_operator_name_map
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

from export import transformed_target
from export.convert import serialize, to_onnx
from export.errors import InputError
from export.gates import ParityResult
from export.pipeline import run_gates
from export.spec import load_spec
from export.train import TrainedModel, train

POINTS = 5_000

_UNREGISTERED_CONVERSION = """
import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

x, y = load_diabetes(return_X_y=True)
model = TransformedTargetRegressor(LinearRegression(), func=np.log, inverse_func=np.exp).fit(x, y)
convert_sklearn(model, initial_types=[("input", FloatTensorType([None, 10]))])
"""


def test_skl2onnx_still_has_no_converter_of_its_own():
    run = subprocess.run([sys.executable, "-c", _UNREGISTERED_CONVERSION], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0, (
        "skl2onnx now converts TransformedTargetRegressor itself: compare its converter with"
        " export/transformed_target.py, and drop ours if it does the same"
    )
    assert "Unable to find a shape calculator for type '<class 'sklearn.compose._target.TransformedTargetRegressor'>'" \
        in run.stderr, run.stderr


def _spec(folder: Path, repo_root: Path, features: str, estimator: str, data: str | None = None) -> Path:
    """The diabetes example's spec with a factory returning `estimator`."""
    # A module name of its own: a factory's module, once imported, stays in sys.modules.
    module = re.sub(r"\W", "_", f"ttr_{folder.name}")
    (folder / f"{module}.py").write_text(
        "import numpy as np\n"
        "from sklearn.compose import ColumnTransformer, TransformedTargetRegressor\n"
        "from sklearn.ensemble import GradientBoostingRegressor\n"
        "from sklearn.impute import SimpleImputer\n"
        "from sklearn.linear_model import LinearRegression\n"
        "from sklearn.pipeline import Pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder\n"
        f"{features}\n"
        f"def build():\n    return {estimator}\n")
    text = (repo_root / "models" / "examples" / "diabetes" / "diabetes.toml").read_text()
    text = text.replace('builtin = "linear_regression"', f'factory = "{module}:build"')
    if data is not None:
        text = re.sub(r"\[data\].*?(?=\[split\])", data, text, flags=re.DOTALL)
    (folder / "ttr.toml").write_text(text)
    return folder / "ttr.toml"


def _parity(spec_path: Path) -> tuple[onnx.ModelProto, ParityResult]:
    trained = train(load_spec(spec_path))
    model = to_onnx(trained)
    _, parity, _, _, _ = run_gates(trained, serialize(model), None, trained.spec.gate, POINTS)
    return model, parity


BOOSTING = "GradientBoostingRegressor(n_estimators=50, random_state=0)"


@pytest.mark.parametrize(
    "estimator, operators",
    [
        (f"TransformedTargetRegressor({BOOSTING}, func=np.log, inverse_func=np.exp)", ["Exp"]),
        (f"TransformedTargetRegressor({BOOSTING}, func=np.log1p, inverse_func=np.expm1)", ["Exp", "Sub"]),
        (f"TransformedTargetRegressor({BOOSTING})", ["Identity"]),
    ],
)
def test_the_common_pairs_convert_and_pass_the_parity_gate_on_diabetes(tmp_path, repo_root, estimator, operators):
    model, parity = _parity(_spec(tmp_path, repo_root, "", estimator))
    assert parity.passed, parity
    assert [node.op_type for node in model.graph.node][-len(operators):] == operators


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_a_linear_model_of_the_log_fails_parity_where_float32_overflows(tmp_path, repo_root):
    # Far outside the data a linear score reaches hundreds: exp() of it is finite in
    # scikit-learn's float64 and infinite in the graph's float32. The gate says so.
    estimator = "TransformedTargetRegressor(LinearRegression(), func=np.log, inverse_func=np.exp)"
    _, parity = _parity(_spec(tmp_path, repo_root, "", estimator))
    assert any(not s.ok for s in parity.sets if s.name.startswith("far out")), parity


def test_a_pipeline_with_category_columns_converts_with_one_input_per_column(tmp_path, repo_root):
    # The loans table as a regression of the amount lent: numbers with gaps, categories.
    source = repo_root / "models" / "examples" / "loans" / "loans.csv"
    (tmp_path / "loans.csv").write_bytes(source.read_bytes())
    data = ('[data]\ncsv = "loans.csv"\ntarget = "loan_amount"\nmissing = ["", "NA"]\n\n[data.features]\n'
            'age = "number"\nincome = "number"\nemployment = "category"\nhome = "category"\n\n')
    columns = ("COLUMNS = ColumnTransformer([('numbers', SimpleImputer(strategy='median'), ['age', 'income']),"
               " ('categories', OneHotEncoder(handle_unknown='ignore'), ['employment', 'home'])])")
    estimator = (f"TransformedTargetRegressor(Pipeline([('columns', COLUMNS), ('model', {BOOSTING})]),"
                 " func=np.log, inverse_func=np.exp)")
    model, parity = _parity(_spec(tmp_path, repo_root, columns, estimator, data))
    assert parity.passed, parity
    assert [i.name for i in model.graph.input] == ["age", "income", "employment", "home"]


@pytest.fixture(scope="module")
def linear(repo_root) -> TrainedModel:
    return train(load_spec(repo_root / "models" / "examples" / "diabetes" / "diabetes.toml"))


@pytest.mark.parametrize(
    "estimator, reason",
    [
        (TransformedTargetRegressor(LinearRegression(), func=np.sqrt, inverse_func=np.square),
         "this one has func=sqrt and inverse_func=square"),
        (TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler()),
         "only without transformer= (this one has StandardScaler)"),
    ],
)
def test_another_transformation_is_refused_with_the_reason(linear, estimator, reason):
    data = linear.data
    estimator.fit(data.x_train.for_estimator(fit=True), data.y_train)
    with pytest.raises(InputError) as error:
        to_onnx(dataclasses.replace(linear, estimator=estimator))
    message = str(error.value)
    assert message.startswith("skl2onnx cannot convert TransformedTargetRegressor: TransformedTargetRegressor"
                              " converts to ONNX only")
    assert reason in message and message.endswith("or transform the target before training")


def test_registering_again_changes_nothing():
    transformed_target.register()
    alias = sklearn_operator_name_map[TransformedTargetRegressor]
    transformed_target.register()
    assert sklearn_operator_name_map[TransformedTargetRegressor] == alias == transformed_target.ALIAS
