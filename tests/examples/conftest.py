import json

import pytest


@pytest.fixture
def serve(built_examples, start_gateway):
    """Start a gateway on one built example: (its card, the gateway)."""
    def start(name: str, **settings: str):
        folder = built_examples[name]
        card = json.loads((folder / f"{name}.json").read_text())
        gateway = start_gateway(model_path=str(folder / f"{name}.onnx"), card_path=str(folder / f"{name}.json"),
                                **settings)
        return card, gateway
    return start
