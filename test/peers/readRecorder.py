#!/usr/bin/env python3
"""Read-recording server peer for TCP Lab's fault-injection tests, deliberately not TypeScript.

Usage: readRecorder.py [reply-after-eof]. Prints its port on the first line, accepts one
connection and records every recv() as it happened: milliseconds since the first byte and the
bytes in hex. When the stream ends it prints one JSON line {"reads": [...], "end": "eof"|"reset"};
on EOF it first sends the optional reply (proving the connection was only half-closed). Exits
when its stdin closes.
"""
import json
import sys
import time

from loopback import accept_one


def main():
    reply = sys.argv[1].encode("utf-8") if len(sys.argv) > 1 else b""
    conn = accept_one()
    reads = []
    start = None
    end = "eof"
    while True:
        try:
            data = conn.recv(65536)
        except ConnectionResetError:
            end = "reset"
            break
        if not data:
            break
        now = time.monotonic()
        if start is None:
            start = now
        reads.append({"at": round((now - start) * 1000, 2), "hex": data.hex()})
    if end == "eof" and reply:
        conn.sendall(reply)
    conn.close()
    print(json.dumps({"reads": reads, "end": end}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
