"""The HTTP layer: the front door, the hot endpoints' ASGI half, the limits, error responses."""
