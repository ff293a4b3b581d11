"""The public port's routes (the load balancer's): predictions, the probes, the
OpenAPI document and /docs, and the v2 routes. /predict and v2 infer speak ASGI
directly (the hot paths); the rest are ordinary Starlette endpoints. The admin
port's are in gateway.api.probes."""
from typing import Final, Iterable

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.api import docs, openapi
from gateway.api.per_model import PerModel
from gateway.api.predict import PREDICT_PATH, PredictEndpoint
from gateway.api.probes import probes
from gateway.core.service import Service
from gateway.http.limits import BodyDeadlines

OPENAPI_PATH: Final = "/openapi.json"


def routes(service: Service, deadlines: BodyDeadlines, extra: Iterable[Route] = ()) -> list[Route]:
    """The public port's routes; `extra` (the v2 routes) join them, and the OpenAPI
    document describes exactly the list."""
    # Built from the loaded model's card (its shapes are in it), once per model, on
    # first request: by then `public` below is the whole list.
    documents = PerModel(
        lambda card: orjson.dumps(
            openapi.document(card, [route.path for route in public], service.settings.max_batch_rows)
        )
    )

    async def openapi_json(request: Request) -> Response:
        return Response(documents.of(service.model.card), media_type="application/json")

    page, assets = docs.load()

    async def docs_page(request: Request) -> Response:
        return Response(page.body, headers=docs.PAGE_HEADERS, media_type=page.media_type)

    async def docs_asset(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            raise HTTPException(404)
        return Response(asset.body, headers=docs.ASSET_HEADERS, media_type=asset.media_type)

    # /predict first: the router tries routes in order.
    public = [
        Route(PREDICT_PATH, PredictEndpoint(service, deadlines), methods=["POST"], name="predict"),
        *probes(service),
        Route(OPENAPI_PATH, openapi_json, methods=["GET"], name="openapi"),
    ]
    if service.settings.serve_docs:
        public += [
            Route(docs.DOCS_PATH, docs_page, methods=["GET"], name="docs"),
            Route(docs.DOCS_PATH + "/{name}", docs_asset, methods=["GET"], name="docs_asset"),
        ]
    public += extra
    return public
