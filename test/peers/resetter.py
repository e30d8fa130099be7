#!/usr/bin/env python3
"""A peer that sends data and resets at once, deliberately not written in TypeScript.

Usage: resetter.py client port message | resetter.py server message. As a client it connects to
127.0.0.1:port; as a server it binds 127.0.0.1 port 0 and prints the port on the first line, then
accepts one connection. Either way it then waits for a line on stdin ("go", or "go MS" to wait MS
milliseconds between the data and the reset), sends the message, and closes with SO_LINGER 0, so
the kernel answers with RST right behind the data (no FIN). Prints "reset" when done and exits
when stdin closes.
"""
import socket
import struct
import sys
import time

from loopback import accept_one


def main():
    mode = sys.argv[1]
    if mode == "client":
        conn = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
        message = sys.argv[3]
        print("connected", flush=True)
    else:
        conn = accept_one()
        message = sys.argv[2]
    line = sys.stdin.readline()
    if not line:
        return
    words = line.split()
    conn.sendall(message.encode("utf-8"))
    if len(words) > 1:
        time.sleep(int(words[1]) / 1000)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    print("reset", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
