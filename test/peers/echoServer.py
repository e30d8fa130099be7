#!/usr/bin/env python3
"""Echo server peer for TCP Lab's tests, deliberately not written in TypeScript.

Usage: echoServer.py [host]   (default 127.0.0.1). Binds port 0, prints the chosen port on the
first line, echoes every byte back to each client, and half-closes towards a client once that
client half-closes. Exits when its stdin closes, so the test runner owns its lifetime.
"""
import socket
import sys
import threading


def serve_client(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                # Peer sent FIN: everything was echoed, so answer with our own FIN.
                conn.shutdown(socket.SHUT_WR)
                return
            conn.sendall(data)


def accept_loop(server):
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        threading.Thread(target=serve_client, args=(conn,), daemon=True).start()


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((host, 0))
    server.listen(64)
    print(server.getsockname()[1], flush=True)
    threading.Thread(target=accept_loop, args=(server,), daemon=True).start()
    sys.stdin.read()  # returns at EOF: the test is done with us
    server.close()


if __name__ == "__main__":
    main()
