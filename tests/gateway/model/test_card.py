import json

import pytest

from gateway.model.card import CARD_SCHEMA_VERSION, ModelCard


def test_the_committed_card_is_the_schema_this_gateway_reads(settings):
    card = ModelCard.load(settings.card_path)
    assert card.document["schema_version"] == CARD_SCHEMA_VERSION
    assert card.name == "iris" and len(card.features) == 4


@pytest.mark.parametrize("version", [1, 3, None, "2"])
def test_a_card_of_another_schema_version_is_refused_by_name(settings, tmp_path, version):
    document = json.loads(settings.card_path.read_text())
    if version is None:
        del document["schema_version"]
    else:
        document["schema_version"] = version
    path = tmp_path / "card.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=rf"schema_version {version!r}; this gateway reads {CARD_SCHEMA_VERSION}"):
        ModelCard.load(path)
