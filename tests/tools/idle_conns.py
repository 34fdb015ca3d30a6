#!/usr/bin/env python3
"""Hold many idle connections open, for memory measurements (scripts/bench/tls_idle).

  idle_conns.py tcp|tls --to IP:PORT --count N [--ca FILE]

Opens N connections to IP:PORT one after another (over TLS: a full handshake verified against
the CA bundle FILE, by the IP of --to), sends nothing, prints "ready N" and then keeps them open
until the process is killed. Prints "error TEXT" and exits 1 on any failure.
"""

import argparse
import resource
import socket
import ssl
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("tcp", "tls"))
    parser.add_argument("--to", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--ca")
    args = parser.parse_args()
    host, _, port = args.to.rpartition(":")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    context = None
    if args.mode == "tls":
        context = ssl.create_default_context(cafile=args.ca)
    held = []
    try:
        for _ in range(args.count):
            sock = socket.create_connection((host, int(port)), timeout=10)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=host)
            held.append(sock)
    except OSError as e:
        print(f"error after {len(held)} connections: {e}", flush=True)
        sys.exit(1)
    print(f"ready {len(held)}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
