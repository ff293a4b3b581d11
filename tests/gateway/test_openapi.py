from openapi_spec_validator import validate
from starlette.routing import Route

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def routes_of(client) -> dict[str, set[str]]:
    starlette = client.app.app
    return {route.path: set(route.methods) - {"HEAD"} for route in starlette.routes if isinstance(route, Route)}


def test_document_is_valid_openapi_3(client):
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_describes_exactly_the_real_routes(client):
    document = client.get("/openapi.json").json()
    documented = {
        path: {method.upper() for method in item if method in HTTP_METHODS} for path, item in document["paths"].items()
    }
    assert documented == routes_of(client)


def test_every_error_response_carries_an_error_message(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    reference = response["content"]["application/json"]["schema"]["$ref"]
                    schema = schemas[reference.rsplit("/", 1)[-1]]
                    assert "error" in schema["required"], (path, method, status)


def test_documented_predict_response_matches_a_real_one(client):
    document = client.get("/openapi.json").json()
    required = document["components"]["schemas"]["Prediction"]["required"]
    body = client.post("/predict", json={"features": [5.1, 3.5, 1.4, 0.2]}).json()
    assert set(required) == set(body)
