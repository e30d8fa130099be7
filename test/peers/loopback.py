"""Shared by the Python peers: a loopback server that accepts exactly one connection."""
import socket


def accept_one():
    """Binds 127.0.0.1 port 0, prints the port on the first line (the tests wait for it), accepts one
    connection, closes the listening socket and returns the connection."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    server.close()
    return conn
