"""The names the ONNX file promises its consumers, and the original service's
example. The export writes the graph and its card with these names; the gateway
serves them; nothing else spells them."""
from typing import Final

# The single FP32 input of a numbers-only model (a model with a category column
# takes one input per column, named for it).
INPUT_NAME: Final = "input"
LABEL_NAME: Final = "label"
PROBABILITIES_NAME: Final = "probabilities"
# skl2onnx's name for a regressor's output, shape [rows, 1].
VALUE_NAME: Final = "variable"
# A classifier's outputs, in the order the graph and v2 list them.
CLASSIFIER_OUTPUTS: Final = (LABEL_NAME, PROBABILITIES_NAME)

# A missing category, as the export hands it to scikit-learn, as the ONNX graph
# receives it and as the gateway passes on a client's null (or empty string): one
# string, because skl2onnx's imputer and encoder converters take strings only (its
# SimpleImputer converts a string marker, never NaN in a string column).
MISSING_CATEGORY: Final = ""

# The original service's example row (its README: {"features": [5.1, 3.5, 1.4, 0.2]}
# gives {"prediction": 0}, setosa), shown in messages when no model card is at hand.
ORIGINAL_ROW: Final = (5.1, 3.5, 1.4, 0.2)
