"""The gateway with its prediction routes reached through Starlette's router, not
the front door's shortcut: `python -m gateway` in every other respect. bench/
measures it beside the gateway: what the shortcut buys (gateway/http/front.py says why)."""
import os
import sys

from gateway.__main__ import run
from gateway.app import create_app

if __name__ == "__main__":
    sys.exit(run(os.environ, lambda settings: create_app(settings, shortcut=False)))
