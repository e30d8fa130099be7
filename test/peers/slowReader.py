#!/usr/bin/env python3
"""A deliberately slow reader, standing in for a disk slower than the network.

Usage: slowReader.py source destination bytes-per-second. Opens `source` (a FIFO the test made),
copies it to `destination` at no more than the given rate, and exits at end of input. Also exits
when its own stdin closes, so a failed test never leaves it behind.
"""
import os
import sys
import threading
import time


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


def main():
    source, destination, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threading.Thread(target=watch_stdin, daemon=True).start()
    block = 64 * 1024
    with open(source, "rb", buffering=0) as src, open(destination, "wb") as dst:
        print("open", flush=True)
        start = time.monotonic()
        copied = 0
        while True:
            data = src.read(block)
            if not data:
                break
            dst.write(data)
            copied += len(data)
            # Sleep until the copied total is back under the rate: a steady, slow sink.
            ahead = copied / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    print(copied, flush=True)


if __name__ == "__main__":
    main()
