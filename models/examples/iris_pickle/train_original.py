"""Writes iris_model.pkl as the original Flask project trained it (its src/model.py):
LogisticRegression(max_iter=200) on its 80% Iris split (seed 42), saved with joblib.

The committed iris_model.pkl is this script's output; the example serves that file as
it is (iris_pickle.toml: fitted = "iris_model.pkl"), never refitted.

python models/examples/iris_pickle/train_original.py
"""
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def main() -> None:
    iris = load_iris()
    x_train, _, y_train, _ = train_test_split(iris.data, iris.target, test_size=0.2, random_state=42)
    joblib.dump(LogisticRegression(max_iter=200).fit(x_train, y_train), Path(__file__).with_name("iris_model.pkl"))


if __name__ == "__main__":
    main()
