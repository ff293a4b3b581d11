"""The practical limit of this stack for one row: a minimal ASGI app on the same
uvicorn that reads the body, parses it with orjson, makes one onnxruntime call and
encodes the answer with orjson, doing nothing else: no validation, request id,
limits, metrics or log. The session is opened as the gateway opens it (one thread,
no spinning: gateway/model/session.py), so the two differ only in what runs per
request."""
import os
from pathlib import Path

import numpy as np
import orjson

from gateway.model.session import open_session

session = open_session(Path(os.environ.get("BENCH_MODEL", "models/iris.onnx")).read_bytes())
HEALTHY = b'{"status":"healthy"}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        label, _ = session.run(None, {"input": np.array([orjson.loads(body)["features"]], dtype=np.float32)})
        payload = orjson.dumps({"prediction": int(label[0])})
    else:
        payload = HEALTHY
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
