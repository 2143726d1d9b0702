#!/usr/bin/env python3
"""Holds N connections to a server open the way slow and idle clients do: half send a request
head one header line every 0.2 s (never finishing it, reconnecting when cut off), half connect
and send nothing. Runs until SIGTERM or SIGINT. For scripts/bench's load section.

Usage: bench/slow_clients.py HOST PORT N
"""
import signal
import socket
import sys
import time


def connect(host, port, trickle):
    s = socket.create_connection((host, port))
    s.setblocking(False)
    if trickle:
        s.send(b"GET /health HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
    return s


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    clients = [(connect(host, port, i % 2 == 0), i % 2 == 0) for i in range(n)]
    while running:
        for i, (s, trickle) in enumerate(clients):
            try:
                if trickle:
                    s.send(b"X-Slow: 1\r\n")
                else:
                    s.recv(1, socket.MSG_PEEK)  # b"" once the server has closed it
                    raise ConnectionError
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                clients[i] = (connect(host, port, trickle), trickle)
        time.sleep(0.2)
    for s, _ in clients:
        s.close()


if __name__ == "__main__":
    main()
