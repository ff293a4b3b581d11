"""What the routes share: settings, lifecycle, metrics, body deadlines and, once loaded, the model."""
import gc
from dataclasses import dataclass, field

from gateway.errors import NotReady
from gateway.inference import Model
from gateway.lifecycle import Lifecycle
from gateway.limits import BodyDeadlines
from gateway.metrics import Metrics
from gateway.settings import Settings


@dataclass
class Service:
    settings: Settings
    metrics: Metrics
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    deadlines: BodyDeadlines = field(init=False)
    _model: Model | None = None

    def __post_init__(self) -> None:
        self.deadlines = BodyDeadlines(self.settings.body_timeout_seconds)

    @property
    def model(self) -> Model:
        if self._model is None:
            raise NotReady("the model is not loaded yet")
        return self._model

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
