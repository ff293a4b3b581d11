"""CloudWatch Embedded Metric Format: a document checked by the format's rules, for the
unit tests of gateway/signals/emf.py and for what a real gateway writes."""
import json

import jsonschema

# The format's rules as a JSON schema, written from its specification
# (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
# an `_aws` object with an integer millisecond Timestamp and MetricDirectives, each with
# a 1-255 character Namespace, at least one DimensionSet of at most 9 keys, and at
# most 100 MetricDefinitions named 1-255 characters, in one of CloudWatch's units.
UNITS = (
    "Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|"
    "Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|"
    "Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None"
)
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
SCHEMA = {
    "type": "object",
    "required": ["_aws"],
    "properties": {"_aws": {
        "type": "object",
        "required": ["Timestamp", "CloudWatchMetrics"],
        "properties": {
            "Timestamp": {"type": "integer", "minimum": 0},
            "CloudWatchMetrics": {"type": "array", "items": {
                "type": "object",
                "required": ["Namespace", "Dimensions", "Metrics"],
                "properties": {
                    "Namespace": NAME,
                    "Dimensions": {"type": "array", "minItems": 1,
                                   "items": {"type": "array", "maxItems": 9, "items": NAME}},
                    "Metrics": {"type": "array", "maxItems": 100, "items": {
                        "type": "object", "required": ["Name"],
                        "properties": {"Name": NAME, "Unit": {"type": "string", "pattern": f"^({UNITS})$"}},
                    }},
                },
            }},
        },
    }},
}


def assert_valid(line: str) -> dict:
    """One document: the schema, then what a schema cannot say: every dimension key is
    a string member of the root, every metric a number (or at most 100 numbers) there."""
    document = json.loads(line)
    jsonschema.validate(document, SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                assert isinstance(document.get(key), str), f"dimension {key} is not a string member"
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            numbers = value if isinstance(value, list) else [value]
            assert len(numbers) <= 100 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in numbers), metric
    return document
