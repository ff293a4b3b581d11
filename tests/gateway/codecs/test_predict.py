import re

import numpy as np
import orjson
import pytest

from gateway.codecs.predict import Layout, decode_predict, encode_predict
from gateway.errors import InvalidInput


# Four number columns, as the Iris card has them.
NUMBERS = Layout.of(["a", "b", "c", "d"], ["number"] * 4, [5.1, 3.5, 1.4, 0.2])


def decode(document, max_rows=100):
    body = document if isinstance(document, bytes) else orjson.dumps(document)
    return decode_predict(body, 4, max_rows, NUMBERS)


def test_single_row_becomes_one_float32_row():
    request = decode({"features": [5.1, 3.5, 1, 0.2]})
    assert request.single
    assert request.rows.dtype == np.float32 and request.rows.flags.c_contiguous
    np.testing.assert_array_equal(request.rows, np.array([[5.1, 3.5, 1.0, 0.2]], dtype=np.float32))


def test_instances_become_a_matrix():
    request = decode({"instances": [[1, 2, 3, 4], [5.5, 6, 7, 8]]})
    assert not request.single
    assert request.rows.shape == (2, 4) and request.rows.dtype == np.float32


def test_unknown_keys_are_ignored_as_the_original_did():
    assert decode({"features": [1, 2, 3, 4], "model": "x", "extra": [True]}).rows.shape == (1, 4)


def test_booleans_elsewhere_in_the_body_do_not_trip_the_row_check():
    assert decode({"instances": [[1, 2, 3, 4]], "debug": False}).rows.shape == (1, 4)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "request body is empty"),
        (b"   ", "request body is empty"),
        (b"{", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "got a string"),
        ({"feature": [1, 2, 3, 4]}, 'must have "features"'),
        ({"features": [1, 2, 3, 4], "instances": [[1, 2, 3, 4]]}, "not both"),
        ({"features": "1,2,3,4"}, '"features" must be a list of 4 numbers, got a string'),
        ({"features": [1, 2, 3]}, '"features" must hold 4 numbers, got 3'),
        ({"features": [1, 2, 3, 4, 5]}, '"features" must hold 4 numbers, got 5'),
        ({"features": []}, '"features" must hold 4 numbers, got 0'),
        ({"features": [1, "2", 3, 4]}, "position 1 (b) must be a number, got a string"),
        ({"features": [True, 2, 3, 4]}, "position 0 (a) must be a number, got a boolean"),
        ({"features": [1, 2, 3, {"a": 1}]}, "position 3 (d) must be a number, got an object"),
        ({"features": [[1, 2, 3, 4]]}, "must hold 4 numbers, got 1"),
        ({"features": [1, 2, 3, 1e39]}, "outside the float32 range"),
        (b'{"features": [1, 2, 3, 10000000000000000000000000000000000000000]}', "outside the float32 range"),
        ({"instances": []}, '"instances" must hold at least one row'),
        ({"instances": [1, 2, 3, 4]}, '"instances" row 0 must be a list of 4 numbers, got a number'),
        ({"instances": [[1, 2, 3, 4], [1, 2, 3]]}, '"instances" row 1 must hold 4 numbers, got 3'),
        ({"instances": [[1, 2, 3, 4], [1, 2, 3, [4]]]}, "row 1 position 3 (d) must be a number, got a list"),
        ({"instances": [[1, 2, 3, 4], [1, False, 3, 4]]}, "row 1 position 1 (b) must be a number, got a boolean"),
        ({"instances": [[True, False, True, False]]}, "row 0 position 0 (a) must be a number, got a boolean"),
        ({"instances": [[1, 2, 3, 4], [1, 2, 3, -1e39]]}, "row 1 position 3 (d) is -1e+39"),
        ({"instances": "rows"}, '"instances" must be a list of rows, got a string'),
        (b'{"features": [NaN, 1, 2, 3]}', "not valid JSON"),
        (b'{"features": [Infinity, 1, 2, 3]}', "not valid JSON"),
        (b'{"features": [-Infinity, 1, 2, 3]}', "not valid JSON"),
        (b'{"features": [1e999, 1, 2, 3]}', "number is infinity"),
        (b'{"features": [1, 2, 3, 4]} trailing', "not valid JSON"),
        (b'{"features": "\xff\xfe"}', "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
    ],
)
def test_bad_payloads_are_refused_with_the_reason(body, message):
    with pytest.raises(InvalidInput) as error:
        decode(body)
    assert message in error.value.message


def test_too_many_rows_names_the_limit():
    with pytest.raises(InvalidInput, match="holds 11 rows; the limit is 10"):
        decode({"instances": [[1, 2, 3, 4]] * 11}, max_rows=10)


def test_encode_single_keeps_the_original_prediction_field():
    body = orjson.loads(encode_predict(np.array([2]), np.array([[0.1, 0.2, 0.7]], np.float32), ("a", "b", "c"), True))
    assert body["prediction"] == 2 and isinstance(body["prediction"], int)
    assert body["class_name"] == "c"
    assert body["probabilities"] == pytest.approx([0.1, 0.2, 0.7])


def test_encode_batch():
    labels = np.array([0, 2], dtype=np.int64)
    probabilities = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]], np.float32)
    body = orjson.loads(encode_predict(labels, probabilities, ("a", "b", "c"), False))
    assert body["predictions"] == [0, 2]
    assert body["class_names"] == ["a", "c"]
    assert np.array(body["probabilities"]) == pytest.approx(probabilities)


def test_a_numeric_string_is_not_a_number():
    with pytest.raises(InvalidInput, match=re.escape("position 1 (b) must be a number, got a string")):
        decode_predict(b'{"instances": [[1, "2", 3, 4]]}', n_features=4, max_rows=10, layout=NUMBERS)


def test_a_null_is_a_gap_passed_on_as_nan():
    """The codec takes null anywhere a number goes and flags the request; the model
    says whether the column takes a gap (tests/gateway/model/test_gaps.py)."""
    one = decode({"features": [1, 2, None, 4]})
    many = decode({"instances": [[1, 2, 3, 4], [None, None, None, None]]})
    complete = decode({"instances": [[1, 2, 3, 4]]})
    assert one.gaps and np.isnan(one.rows[0, 2]) and np.isfinite(one.rows[0, [0, 1, 3]]).all()
    assert many.gaps and np.isnan(many.rows[1]).all() and not np.isnan(many.rows[0]).any()
    assert not complete.gaps


def test_a_numbers_only_model_names_the_column_of_a_bad_value():
    message = '"instances" row 1 position 3 (d) must be a number, got a string'
    with pytest.raises(InvalidInput, match=re.escape(message)):
        decode_predict(b'{"instances": [[1, 2, 3, 4], [1, 2, 3, "x"]]}', 4, 10, NUMBERS)


MIXED = Layout.of(["n1", "n2", "c1"], ["number", "number", "category"], [1.0, 2.0, "a"])


@pytest.mark.parametrize("rows", [1, 3, 4, 200])
def test_a_mixed_table_is_the_same_walked_or_in_bulk(rows):
    """Below BULK_TABLE_ROWS rows are walked, from it checked column by column: the same result."""
    body = orjson.dumps({"instances": [[i, i + 0.5, f"c{i % 3}"] for i in range(rows)]})
    request = decode_predict(body, 3, 1000, MIXED)
    assert request.rows.dtype == np.float32 and request.rows.flags.c_contiguous
    assert request.rows.tolist() == [[i, i + 0.5] for i in range(rows)]
    assert request.categories.tolist() == [[f"c{i % 3}"] for i in range(rows)]


@pytest.mark.parametrize("rows", [1, 3, 4, 200])
def test_null_in_a_mixed_table_is_a_gap_walked_or_in_bulk(rows):
    """null is NaN in a number column and MISSING_CATEGORY in a category column, and so is
    an empty category string: the same walked or in bulk."""
    body = orjson.dumps({"instances": [[None, 1.5, None], [2.0, None, ""]] + [[1.0, 2.0, "a"]] * (rows - 2)
                         if rows >= 2 else [[None, 1.5, None]]})
    request = decode_predict(body, 3, 1000, MIXED)
    assert request.gaps
    assert np.isnan(request.rows[0, 0]) and request.rows[0, 1] == 1.5 and request.categories[0, 0] == ""
    if rows >= 2:
        assert np.isnan(request.rows[1, 1]) and request.categories[1, 0] == ""
    assert not decode_predict(orjson.dumps({"instances": [[1.0, 2.0, "a"]] * rows}), 3, 1000, MIXED).gaps


@pytest.mark.parametrize(("bad", "message"), [
    ([3, 1.0, 7], "row 7 position 2 (c1) must be a string (a category), got a number"),
    (["3", 1.0, "a"], "row 7 position 0 (n1) must be a number, got a string"),
    ([1e39, 1.0, "a"], "outside the float32 range"),
    ([True, 1.0, "a"], "row 7 position 0 (n1) must be a number, got a boolean"),
    ([1.0, "a"], "row 7 must be a list of 3 values (n1, n2, c1), got 2 values"),
])
def test_a_bad_value_in_a_large_mixed_batch_is_named(bad, message):
    rows = [[1.0, 2.0, "a"]] * 20
    rows[7] = bad
    with pytest.raises(InvalidInput, match=re.escape(message)):
        decode_predict(orjson.dumps({"instances": rows}), 3, 1000, MIXED)
