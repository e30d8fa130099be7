#!/usr/bin/env python3
"""An independent TCP client for the end-to-end tests.

Connects to HOST PORT, then takes commands on stdin, one per line:
  send HEX      send these bytes (hex digits, spaces allowed)
  end           half-close (FIN)
  close         close the socket
Reports everything it sees on stdout as JSON lines, so the test asserts on what really
crossed the wire, independent of TCP Lab's own counters.
"""
import json
import socket
import sys
import threading


def report(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def receive(sock):
    how = "eof"
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            report("data", hex=data.hex())
    except ConnectionResetError:
        how = "reset"
    except OSError as err:
        how = "error: %s" % err
    report("closed", how=how)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        sock = socket.create_connection((host, port), timeout=10)
    except OSError as err:
        report("error", message=str(err))
        return 1
    sock.settimeout(None)
    report("connected", localPort=sock.getsockname()[1])
    reader = threading.Thread(target=receive, args=(sock,), daemon=True)
    reader.start()
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "send":
            payload = bytes.fromhex(argument)
            sock.sendall(payload)
            report("sent", hex=payload.hex())
        elif command == "end":
            sock.shutdown(socket.SHUT_WR)
            report("ended")
        elif command == "close":
            break
    sock.close()
    reader.join(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
