"""HTTP/1.1 over a raw socket, for requests no client library would send."""
import socket


def read_response(connection: socket.socket) -> bytes:
    """One response: its head and a body of its Content-Length; whatever arrived
    when the server closes, resets or the socket's timeout passes."""
    received = b""
    try:
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
            head, separator, body = received.partition(b"\r\n\r\n")
            if separator:
                lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")]
                if lengths and len(body) >= lengths[0]:
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    return received


def exchange(port: int, raw: bytes, wait: float = 2.0) -> bytes:
    """Send raw bytes to 127.0.0.1:port and read one response (b"" if none comes within `wait`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as connection:
        try:
            connection.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before everything was sent
        return read_response(connection)
