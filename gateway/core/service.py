"""The core: settings, lifecycle, metrics and, once loaded, the model, and scoring
decoded rows with it. It knows nothing of HTTP: a request reaches it as decoded
arrays and a RequestContext (gateway.core.context)."""
import gc
import logging
from dataclasses import dataclass, field

import numpy as np

from gateway.core.context import RequestContext
from gateway.core.lifecycle import Lifecycle
from gateway.errors import NotReady
from gateway.model.inference import Model, Prediction
from gateway.settings import Settings
from gateway.signals.logs import PAYLOAD_LOGGER
from gateway.signals.metrics import Metrics
from gateway.signals.payloads import PayloadSampler, payload_line

_payload_log = logging.getLogger(PAYLOAD_LOGGER)


@dataclass
class Service:
    settings: Settings
    metrics: Metrics
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    _model: Model | None = None
    # Sampled payload logging (gateway.signals.payloads), when GATEWAY_PAYLOAD_SAMPLE asks for it.
    payloads: PayloadSampler | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.settings.payload_sample > 0:
            self.payloads = PayloadSampler(self.settings.payload_sample, self.settings.payload_max_per_second)

    @property
    def model(self) -> Model:
        if self._model is None:
            raise NotReady("the model is not loaded yet")
        return self._model

    def predict(self, model: Model, rows: np.ndarray, categories: np.ndarray | None, context: RequestContext | None,
                gaps: bool) -> Prediction:
        """Score decoded rows with the model the route resolved, and count them, for every
        prediction route: missing cells per column where the decoder saw a gap (`gaps`:
        refused where the model's card refuses one), rows with an unseen category (refused
        where the model refuses them), then, per task, the answers, rows outside the
        training range and outside the proven region; the rows on the request's span when
        it is traced; and log the payload when it is sampled. A refused request counts
        nothing: a client's 400s cannot move the signals alarms watch."""
        metrics = self.metrics
        missing = model.gaps(rows, categories) if gaps else None
        unseen = model.unseen(categories) if categories is not None else 0
        prediction = model.predict(rows, categories)
        if missing is not None:
            metrics.observe_gaps(missing)
        if unseen:
            metrics.observe_unseen(unseen)
        if prediction.values is not None:
            metrics.observe_values(prediction.values, model.outside(rows))
        else:
            metrics.observe_predictions(prediction.labels, model.outside(rows))
        if context is not None and context.span is not None:
            context.span.set_attribute("model.rows", len(rows))
        if self.payloads is not None and self.payloads.admit():
            request_id = b"" if context is None else context.request_id
            _payload_log.info(payload_line(model.card, request_id, rows, categories, prediction))
        return prediction

    def start(self) -> None:
        """Open the session once, warm it up, then report ready."""
        settings = self.settings
        model = Model.load(settings.model_path, settings.card_path, settings.intra_op_threads)
        model.warm_up()
        self.metrics.set_model(model.card)
        self._model = model
        # Everything allocated so far lives as long as the process: moving it out
        # of the collector's reach keeps full collections short on the hot path.
        gc.freeze()
        self.lifecycle.mark_ready()
