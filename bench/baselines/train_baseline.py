"""Train and pickle the original project's model (src/model.py): LogisticRegression
on the Iris split the original used, saved with joblib."""
import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split


def main(path: str) -> None:
    iris = load_iris()
    x_train, _, y_train, _ = train_test_split(iris.data, iris.target, test_size=0.2, random_state=42)
    joblib.dump(LogisticRegression(max_iter=200).fit(x_train, y_train), path)


if __name__ == "__main__":
    main(sys.argv[1])
