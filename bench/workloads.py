"""The request bodies the benchmark sends, written once per run from a seeded generator."""
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED_ROW = [5.1, 3.5, 1.4, 0.2]  # the original README's curl example


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    body: Path
    content_type: str
    rows: int
    header: tuple[str, str] | None = None


def batch(rows: int) -> list[list[float]]:
    generator = np.random.default_rng(0)
    values = generator.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(rows, 4))
    return np.round(values, 1).tolist()


def write(directory: Path) -> dict[str, Workload]:
    directory.mkdir(parents=True, exist_ok=True)
    rows = batch(1000)

    def put(name: str, payload: bytes) -> Path:
        path = directory / name
        path.write_bytes(payload)
        return path

    v2_one = {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": SEED_ROW}]}
    v2_many = {"inputs": [{"name": "input", "shape": [1000, 4], "datatype": "FP32",
                           "data": [v for row in rows for v in row]}]}
    header = json.dumps({
        "inputs": [{"name": "input", "shape": [1000, 4], "datatype": "FP32",
                    "parameters": {"binary_data_size": 16000}}],
        "parameters": {"binary_data_output": True},
    }).encode()
    binary = header + struct.pack("<4000f", *[v for row in rows for v in row])
    json_type = "application/json"
    return {
        "predict-1": Workload(
            "predict-1", "/predict", put("predict-1.json", json.dumps({"features": SEED_ROW}).encode()), json_type, 1
        ),
        "predict-1000": Workload("predict-1000", "/predict",
                                 put("predict-1000.json", json.dumps({"instances": rows}).encode()), json_type, 1000),
        "v2-json-1": Workload("v2-json-1", "/v2/models/iris/infer", put("v2-1.json", json.dumps(v2_one).encode()),
                              json_type, 1),
        "v2-json-1000": Workload("v2-json-1000", "/v2/models/iris/infer",
                                 put("v2-1000.json", json.dumps(v2_many).encode()), json_type, 1000),
        "v2-binary-1000": Workload("v2-binary-1000", "/v2/models/iris/infer", put("v2-1000.bin", binary),
                                   "application/octet-stream", 1000,
                                   ("Inference-Header-Content-Length", str(len(header)))),
    }
