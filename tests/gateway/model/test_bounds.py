import numpy as np
import pytest

from gateway.model.bounds import Box


@pytest.fixture
def box() -> Box:
    return Box(np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize("rows", [1, 7, 1000])
def test_single_row_and_batch_paths_agree(box, rows):
    values = np.random.default_rng(rows).uniform(-1, 5, size=(rows, 4)).astype(np.float32)
    expected = int(((values < box.low) | (values > box.high)).any(axis=1).sum())
    assert box.outside(values) == expected
    assert sum(box.outside(values[i:i + 1]) for i in range(rows)) == expected


def test_bounds_are_inclusive(box):
    assert box.outside(np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)) == 0
    assert box.outside(np.array([[1.0, 2.0, 3.0, 4.0001]], dtype=np.float32)) == 1


def test_five_features_take_the_general_path():
    five = Box(np.zeros(5), np.ones(5))
    rows = np.array([[0.5] * 5, [0.5, 0.5, 0.5, 0.5, 2.0]], dtype=np.float32)
    assert five.outside(rows) == 1


def test_contains_is_true_only_for_a_box_inside(box):
    assert box.contains(Box(np.array([0.0, 0.5, 1.0, 0.0]), np.array([1.0, 2.0, 2.0, 4.0])))
    assert box.contains(box)
    assert not box.contains(Box(np.array([0.0, 0.0, 0.0, -0.1]), np.array([1.0, 2.0, 3.0, 4.0])))
    assert not box.contains(Box(np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 2.1, 3.0, 4.0])))
