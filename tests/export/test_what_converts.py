"""What converts, measured: each estimator family users reach for, through both gates
on a classification and a regression data set; docs/own-model.md shows this result."""
import re

import pytest

from tests.export.families import FAMILIES, measure_all, table

START, END = "<!-- what-converts: python -m tests.export.families -->", "<!-- /what-converts -->"


@pytest.mark.slow
def test_the_docs_table_is_what_the_gates_measure(repo_root):
    measured = measure_all()
    shown = (repo_root / "docs" / "own-model.md").read_text()
    found = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), shown, re.DOTALL)
    assert found is not None, f"docs/own-model.md lacks the what-converts table between {START} and {END}"
    assert found[1] == table(measured), "the table differs from what the gates measure; python -m" \
        " tests.export.families prints the measured one:\n" + table(measured)
    # Every family is measured on each task it has an estimator for.
    assert len(measured) == sum(make is not None for makers in FAMILIES.values() for make in makers)
    # The families the issue names, proven where the product promises them.
    for family in ("linear models", "random forest", "gradient boosting", "histogram gradient boosting", "MLP"):
        assert measured[family, "classification"].proven and measured[family, "regression"].proven, family
    assert not measured["k-nearest neighbours", "classification"].proven
