"""What the routes share: settings, lifecycle, metrics and, once loaded, the model."""
import gc
from dataclasses import dataclass, field

from gateway.errors import NotReady
from gateway.inference import Model
from gateway.lifecycle import Lifecycle
from gateway.metrics import Metrics
from gateway.settings import Settings


@dataclass
class Service:
    settings: Settings
    metrics: Metrics
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    _model: Model | None = None
    model_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    """Identify the model on every prediction response."""

    @property
    def model(self) -> Model:
        if self._model is None:
            raise NotReady("the model is not loaded yet")
        return self._model

    def start(self) -> None:
        """Open the session once, warm it up, then report ready."""
        model = Model.load(self.settings)
        model.warm_up()
        self.metrics.set_model(model.card)
        card = model.card
        self.model_headers = [
            (b"x-model-name", card.name.encode()),
            (b"x-model-version", card.version.encode()),
            (b"x-model-sha256", card.sha256.encode()),
        ]
        self._model = model
        # Everything allocated so far lives as long as the process: moving it out
        # of the collector's reach keeps full collections short on the hot path.
        gc.freeze()
        self.lifecycle.mark_ready()
