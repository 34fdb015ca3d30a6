#!/usr/bin/env python3
"""A UDP sink for the sbc-lab HEP test, run inside a lab namespace.

  udp_sink.py --bind IP:PORT --out FILE

Binds IP:PORT and appends every datagram received to FILE as one line of hex (flushed at
once), until it is killed. The test decodes the lines itself.
"""

import argparse
import socket


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    host, _, port = args.bind.rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, int(port)))
    with open(args.out, "a") as out:
        while True:
            data, _ = sock.recvfrom(65535)
            out.write(data.hex() + "\n")
            out.flush()


if __name__ == "__main__":
    main()
