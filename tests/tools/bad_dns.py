#!/usr/bin/env python3
"""A DNS server that answers badly, for the sbc-lab tests of hostile DNS answers.

  bad_dns.py --listen IP --self IP

Answers UDP queries on IP:53 (one line "note ready" once bound, one line "query NAME TYPE"
per query, flushed):

  loop1.lab.test, loop2.lab.test   a CNAME to the other one (a loop, whatever is asked)
  slow.lab.test                    nothing at all (the client times out)
  self.lab.test                    A --self (the SBC's own address)
  anything else                    NXDOMAIN

Every answer is authoritative with TTL 2. Only what a stub resolver sends is read: one
question, no compression in it.
"""

import argparse
import socket
import struct

LOOP = {"loop1.lab.test": "loop2.lab.test", "loop2.lab.test": "loop1.lab.test"}
TYPE_A, TYPE_CNAME = 1, 5
TTL = 2


def encode_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def read_question(packet):
    """(name, type, end offset of the question) of the first question."""
    labels, i = [], 12
    while packet[i] != 0:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode(errors="replace"))
        i += 1 + n
    qtype = struct.unpack("!H", packet[i + 1:i + 3])[0]
    return ".".join(labels).lower(), qtype, i + 5


def answer(packet, self_ip):
    name, qtype, end = read_question(packet)
    print(f"query {name} {qtype}", flush=True)
    if name == "slow.lab.test":
        return None
    question = packet[12:end]
    ident = packet[:2]
    # QR, AA, RD copied, RA.
    flags = 0x8400 | (struct.unpack("!H", packet[2:4])[0] & 0x0100) | 0x0080
    records = b""
    count = 0
    rcode = 0
    if name in LOOP:
        rdata = encode_name(LOOP[name])
        records = struct.pack("!HHHIH", 0xC00C, TYPE_CNAME, 1, TTL, len(rdata)) + rdata
        count = 1
    elif name == "self.lab.test" and qtype == TYPE_A:
        rdata = socket.inet_aton(self_ip)
        records = struct.pack("!HHHIH", 0xC00C, TYPE_A, 1, TTL, len(rdata)) + rdata
        count = 1
    elif name != "self.lab.test":
        rcode = 3
    header = ident + struct.pack("!HHHHH", flags | rcode, 1, count, 0, 0)
    return header + question + records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--self", dest="self_ip", required=True)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.listen, 53))
    print("note ready", flush=True)
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            reply = answer(packet, args.self_ip)
        except (IndexError, struct.error):
            continue
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
