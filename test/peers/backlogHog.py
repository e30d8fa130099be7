#!/usr/bin/env python3
"""A loopback listener that never accepts, for deterministic connect timeouts.

Binds 127.0.0.1 port 0 with a backlog of 0 and never calls accept(). Once its accept queue is
full (one pending connection on Linux), the kernel drops further SYNs, so the next connect hangs
until the client's own timeout fires. Prints the port, exits when stdin closes.
"""
import socket
import sys


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    print(server.getsockname()[1], flush=True)
    sys.stdin.read()
    server.close()


if __name__ == "__main__":
    main()
