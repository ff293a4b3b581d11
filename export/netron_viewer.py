"""`make netron`: an ONNX model in Netron, the standard graph viewer, served on
127.0.0.1 from the dev lock's `netron` wheel, offline.

As the wheel serves it, Netron's page first asks ipinfo.io where the browser is (to
decide on a cookie notice, which then blocks the graph until it is accepted) and
then reports usage to Google Analytics. Here neither may happen: every response
carries a Content-Security-Policy that keeps the page to this origin, and the page
is given the cookie that says the notice was seen; with nothing able to leave,
there is nothing for it to be a notice of.

Run with the dev venv (`netron` is not in the train or serve locks):
    python -m export.netron_viewer models/iris.onnx --port 8081
"""
import argparse
import sys
import time
from pathlib import Path
from typing import Final, Sequence

OFFLINE_POLICY: Final = (
    "default-src 'self' 'unsafe-inline' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
EXIT_MISSING_INPUT: Final = 3  # as `python -m export`


def _request_handler() -> type:
    """Netron's HTTP request handler: a private class, named here and nowhere else."""
    import netron
    from netron import server

    handler = getattr(server, "_HTTPRequestHandler", None)
    if handler is None or not callable(getattr(handler, "end_headers", None)):
        raise RuntimeError(f"netron {netron.__version__} no longer has server._HTTPRequestHandler: "
                           "export/netron_viewer.py must follow its new server")
    return handler


def keep_offline() -> None:
    """Every response Netron's server sends gets the policy and the notice cookie."""
    handler = _request_handler()
    end_headers = handler.end_headers

    def offline_end_headers(self) -> None:
        self.send_header("Content-Security-Policy", OFFLINE_POLICY)
        self.send_header("Set-Cookie", f"consent={int(time.time() * 1000)}; Path=/; SameSite=Strict")
        end_headers(self)

    handler.end_headers = offline_end_headers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export.netron_viewer", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port to bind (default 8081)")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"no model at {args.model}: `make model` builds it", file=sys.stderr)
        return EXIT_MISSING_INPUT
    import netron

    keep_offline()
    netron.start(str(args.model), address=(args.host, args.port), browse=False)
    print(f"Netron {netron.__version__}: http://{args.host}:{args.port}/ (offline; Ctrl-C stops it)", flush=True)
    netron.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
