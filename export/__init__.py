"""Train the Iris classifier, export it to ONNX, and prove the export with gates."""
