"""POST /predict: the original service's contract, plus batches and rows by name.
A hot endpoint: the front door answers it without Starlette's router."""
from typing import Final, Iterable

from starlette.types import Scope

from gateway.api.per_model import PerModel, model_headers
from gateway.codecs.predict import Layout, decode_predict, encode_predict, encode_values
from gateway.core.service import Service
from gateway.errors import UnsupportedMediaType
from gateway.core.context import RequestContext
from gateway.http.asgi import JSON, is_json, media_type
from gateway.http.endpoint import HotEndpoint
from gateway.http.limits import BodyDeadlines

PREDICT_PATH: Final = "/predict"


def require_json(content_type: bytes | None) -> None:
    if not is_json(media_type(content_type)):
        shown = content_type.decode("latin-1") if content_type else "none"
        raise UnsupportedMediaType(f"Content-Type must be application/json, got {shown}")


class PredictEndpoint(HotEndpoint):
    def __init__(self, service: Service, deadlines: BodyDeadlines) -> None:
        super().__init__(service, deadlines)
        # The model's headers, and the columns and example row messages show, from the card.
        self.derived = PerModel(lambda card: (model_headers(card), Layout.of_card(card)))

    def handle(self, scope: Scope, body: bytes, content_type: bytes | None,
               context: RequestContext) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        service = self.service
        model = service.model
        card = model.card
        headers, layout = self.derived.of(card)
        # No body at all is a 400 whatever the Content-Type (the original answered
        # a bare POST /predict so); 415 is for a body of the wrong type.
        if body and content_type != JSON:
            require_json(content_type)
        request = decode_predict(body, model.n_features, service.settings.max_batch_rows, layout)
        prediction = service.predict(model, request.rows, request.categories, context, request.gaps)
        if prediction.values is not None:
            return JSON, encode_values(prediction.values, request.single), headers
        return JSON, encode_predict(prediction.labels, prediction.probabilities, card.classes, request.single), headers
