"""The request bodies the benchmark sends, written once per run from the model card
and a seeded generator."""
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import card as model_card


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    body: Path
    content_type: str
    rows: int
    header: tuple[str, str] | None = None


def batch(card: dict[str, Any], rows: int) -> list[list[float]]:
    """Seeded rows spread over the card's training range, to one decimal."""
    generator = np.random.default_rng(0)
    low, high = card["feature_range"]["min"], card["feature_range"]["max"]
    values = generator.uniform(low, high, size=(rows, len(low)))
    return np.round(values, 1).tolist()


def write(directory: Path, card: dict[str, Any] | None = None) -> dict[str, Workload]:
    card = card or model_card.load()
    if len(card["tensors"]["inputs"]) != 1:
        raise SystemExit(f"the benchmark sends one FP32 tensor; {card['name']} takes one per column")
    directory.mkdir(parents=True, exist_ok=True)
    rows = batch(card, 1000)
    one = model_card.example_row(card)
    width, name = len(one), card["tensors"]["inputs"][0]["name"]
    infer = f"/v2/models/{card['name']}/infer"

    def put(name: str, payload: bytes) -> Path:
        path = directory / name
        path.write_bytes(payload)
        return path

    v2_one = {"inputs": [{"name": name, "shape": [1, width], "datatype": "FP32", "data": one}]}
    v2_many = {"inputs": [{"name": name, "shape": [1000, width], "datatype": "FP32",
                           "data": [v for row in rows for v in row]}]}
    header = json.dumps({
        "inputs": [{"name": name, "shape": [1000, width], "datatype": "FP32",
                    "parameters": {"binary_data_size": 4000 * width}}],
        "parameters": {"binary_data_output": True},
    }).encode()
    binary = header + struct.pack(f"<{1000 * width}f", *[v for row in rows for v in row])
    json_type = "application/json"
    return {
        "predict-1": Workload(
            "predict-1", "/predict", put("predict-1.json", model_card.predict_body(card)), json_type, 1
        ),
        "predict-1000": Workload("predict-1000", "/predict",
                                 put("predict-1000.json", json.dumps({"instances": rows}).encode()), json_type, 1000),
        "v2-json-1": Workload("v2-json-1", infer, put("v2-1.json", json.dumps(v2_one).encode()),
                              json_type, 1),
        "v2-json-1000": Workload("v2-json-1000", infer,
                                 put("v2-1000.json", json.dumps(v2_many).encode()), json_type, 1000),
        "v2-binary-1000": Workload("v2-binary-1000", infer, put("v2-1000.bin", binary),
                                   "application/octet-stream", 1000,
                                   ("Inference-Header-Content-Length", str(len(header)))),
    }


# The mixed example (numbers, categories and gaps): its spec, built in the bench run.
MIXED_SPEC = "models/examples/loans/loans.toml"
MIXED_NAME = Path(MIXED_SPEC).stem
# The share of cells the gap batch sends as null (the loans table has about 5%).
GAP_SHARE = 0.1


def with_gaps(rows: list[list[Any]], share: float) -> list[list[Any]]:
    """The rows with a seeded `share` of their cells null."""
    generator = np.random.default_rng(0)
    gaps = generator.random((len(rows), len(rows[0]))) < share
    return [[None if gap else value for value, gap in zip(row, flags)] for row, flags in zip(rows, gaps.tolist())]


def write_mixed(directory: Path, card: dict[str, Any]) -> dict[str, Workload]:
    """One row by position and by name, and 1,000-row batches over /predict (complete,
    and with GAP_SHARE of the cells null) and v2 (one tensor per column, BYTES for the
    categories), from the card's example rows."""
    directory.mkdir(parents=True, exist_ok=True)
    examples = [example["features"] for example in card["examples"]]
    rows = [examples[i % len(examples)] for i in range(1000)]
    named = dict(zip(card["features"], examples[0]))
    inputs = [{"name": tensor["name"], "shape": [len(rows), 1], "datatype": tensor["datatype"],
               "data": [row[position] for row in rows]} for position, tensor in enumerate(card["tensors"]["inputs"])]

    def put(name: str, payload: Any) -> Path:
        path = directory / name
        path.write_bytes(json.dumps(payload).encode())
        return path

    json_type, infer = "application/json", f"/v2/models/{card['name']}/infer"
    return {
        "mixed-1": Workload("mixed-1", "/predict", put("mixed-1.json", {"features": examples[0]}), json_type, 1),
        "mixed-1-named": Workload("mixed-1-named", "/predict", put("mixed-1-named.json", {"features": named}),
                                  json_type, 1),
        "mixed-1000": Workload("mixed-1000", "/predict", put("mixed-1000.json", {"instances": rows}), json_type,
                               1000),
        "mixed-1000-gaps": Workload("mixed-1000-gaps", "/predict",
                                    put("mixed-1000-gaps.json", {"instances": with_gaps(rows, GAP_SHARE)}),
                                    json_type, 1000),
        "mixed-v2-1000": Workload("mixed-v2-1000", infer, put("mixed-v2-1000.json", {"inputs": inputs}), json_type,
                                  1000),
    }
