"""The model layer: the ONNX session, the card, the tensor contract, the training box. Imports no other layer."""
