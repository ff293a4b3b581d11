"""The payload codecs: /predict and Open Inference Protocol v2 bodies <-> numpy. Pure functions over the model layer."""
