"""The core: the service that scores decoded rows and counts them, its lifecycle, the request context. No HTTP."""
