"""Errors that stop a command before any gate could judge: the CLI gives them their own exit code."""


class InputError(Exception):
    """An input file exists but cannot be used: a corrupt ONNX file, other tensor
    names than the contract's, a card that is not JSON or lacks a field."""
