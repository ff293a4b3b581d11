"""Train the model a spec describes (or load the fitted one it names), export it to ONNX,
and prove the export equal to its source with the parity and quality gates."""
