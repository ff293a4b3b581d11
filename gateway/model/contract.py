"""What an exported model promises its consumers: the tensor names, the spelling
of a missing category and the card's schema version. The export writes the graph
and its card with these; the gateway serves them; nothing else spells them."""
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

# The model card's schema: export/card.py writes this version, the gateway reads
# only this one (a card of another version is refused at start-up rather than half
# understood).
CARD_SCHEMA_VERSION: Final = 2
