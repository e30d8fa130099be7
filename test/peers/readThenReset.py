#!/usr/bin/env python3
"""A server peer that reads part of a large send and then resets, deliberately not TypeScript.

Usage: readThenReset.py bytes. Prints its port on the first line, accepts one connection, reads
until it has at least `bytes` bytes, then closes with SO_LINGER 0 (RST) and prints how many bytes
it read. Exits when stdin closes.
"""
import socket
import struct
import sys

from loopback import accept_one


def main():
    wanted = int(sys.argv[1])
    conn = accept_one()
    read = 0
    while read < wanted:
        data = conn.recv(65536)
        if not data:
            break
        read += len(data)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    print(read, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
