#!/usr/bin/env python3
"""A scripted SIP user agent over TLS for the sbc-lab tests (Debian's sipp has no TLS).

Runs inside a lab namespace via `ip netns exec`. Real SIP, kept small: one call, messages
framed on the stream by Content-Length, Via with a z9hG4bK branch, CSeq counting up,
Max-Forwards, Contact with transport=tls; CRLF keep-alive pings answered (RFC 5626).

  tls_ua.py call --to IP:PORT --bind IP --ca FILE [--server-name NAME] --user USER
                 [--hold-ms N] [--wait S]
      Connects from --bind (ephemeral port), verifies the server's certificate against the
      CA bundle FILE for NAME (default: the IP of --to, an IP SAN), sends an INVITE with an
      SDP offer, reads 1xx and the final response, ACKs a 2xx to its Contact (in-dialog:
      the To tag of the 2xx, the Record-Route set), holds N ms (default 500), sends BYE
      and expects 200. An in-dialog request from the other side meanwhile is answered
      200 (a BYE ends the call: the script then sends no BYE of its own).

  tls_ua.py serve --listen IP:PORT --cert FILE --key FILE [--client-ca FILE] [--wait S]
      Accepts TLS connections with that certificate (chain) and key (with --client-ca:
      only clients presenting a certificate of that CA bundle; "note client-cert NAMES"
      lists its DNS SANs), notes the server name each client asks for ("note sni NAME",
      "note sni -" without one), answers an INVITE
      100/180/200 with an SDP answer, takes the ACK, answers BYE 200 (the call is then
      over), OPTIONS 200, anything else 501. A failed handshake is noted and the next
      connection accepted. Prints "note listening" once the socket listens.

  tls_ua.py options --to IP:PORT --bind IP --ca FILE [--server-name NAME] --uri URI
      Connects like `call`, sends one OPTIONS to URI (no userinfo, as Microsoft Teams
      Direct Routing sends them) and expects 200.

Media (call and serve): --srtp offers/answers RTP/SAVP with a fresh AES_CM_128_HMAC_SHA1_80
key and a=rtcp-mux (answered only when offered); --rtp-tool PATH --rtp-out FILE run
tools/rtp.py once the other side's SDP is known: 50 packets from --media-port to the
address that SDP gives, SRTP under our key, and what arrives checked against theirs
(rtp.py's JSON in FILE); --ice adds ICE credentials and a host candidate to the SDP and
has rtp.py nominate its address with a connectivity check before the media (rtp.py also
reads the telephone-events that arrive, see its `events`). `serve` answers an offer with
telephone-event/8000 with telephone-event too, at the offer's payload type or at
`--event-pt PT` (a different number is allowed by RFC 3264 §6.1: the SBC must then send
events with PT). `serve
--calls 0` ends after answering one OPTIONS; `serve --forks 2` answers an INVITE from two
endpoints with early media (see Callee.forked).

Output, one line each, on stdout (flushed): "sent HEX" and "recv HEX" per SIP message,
"note TEXT" for events, and last "result ok" or "result fail TEXT". The exit code is 0
for ok, 1 otherwise. Everything ends after --wait seconds (default 15) at the latest.
"""

import argparse
import secrets
import select
import socket
import ssl
import sys
import time

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported"}


class Failure(Exception):
    """Ends the script with "result fail TEXT"."""


def out(kind, text):
    print(f"{kind} {text}", flush=True)


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def token():
    return secrets.token_hex(6)


class Message:
    """One SIP message: start line, (lower-case name, value) headers, body."""

    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.start = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded continuation
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                name = name.strip().lower()
                self.headers.append((COMPACT.get(name, name), value.strip()))

    def is_request(self):
        return not self.start.startswith("SIP/2.0 ")

    def method(self):
        return self.start.split(" ", 1)[0] if self.is_request() else None

    def status(self):
        parts = self.start.split(" ")
        return int(parts[1]) if not self.is_request() and len(parts) > 1 else None

    def all(self, name):
        return [v for n, v in self.headers if n == name]

    def get(self, name):
        values = self.all(name)
        return values[0] if values else ""

    def cseq(self):
        number, _, method = self.get("cseq").partition(" ")
        return int(number or 0), method.strip()


def header_param(value, name):
    """The value of ;name= in a header value (outside <...>)."""
    rest = value.rsplit(">", 1)[-1]
    for part in rest.split(";")[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == name:
            return val.strip()
    return None


def uri_of(value):
    """The URI of a name-addr (<...>) or addr-spec header value."""
    if "<" in value:
        return value.split("<", 1)[1].split(">", 1)[0]
    return value.split(";", 1)[0].strip()


class Stream:
    """A TLS stream of SIP messages, framed by Content-Length."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = bytearray()
        sock.setblocking(False)

    def send(self, text):
        data = text.encode()
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)
        out("sent", data.hex())

    def _frame(self):
        """A complete message from the buffer, or None."""
        while True:
            if self.buf.startswith(b"\r\n\r\n"):  # RFC 5626 ping: pong
                del self.buf[:4]
                self.sock.setblocking(True)
                self.sock.sendall(b"\r\n")
                self.sock.setblocking(False)
                continue
            if self.buf.startswith(b"\r\n") and len(self.buf) >= 4:
                del self.buf[:2]
                continue
            break
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        length = 0
        for line in bytes(self.buf[:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() in (b"content-length", b"l"):
                try:
                    length = int(value.strip() or b"0")
                except ValueError:
                    raise Failure(f"bad Content-Length {value!r}")
        total = end + 4 + length
        if len(self.buf) < total:
            return None
        raw = bytes(self.buf[:total])
        del self.buf[:total]
        out("recv", raw.hex())
        return Message(raw)

    def receive(self, until=None):
        """The next message; None when `until` (default: the deadline) passes first."""
        until = min(until or self.deadline, self.deadline)
        while True:
            msg = self._frame()
            if msg:
                return msg
            if not self.sock.pending():
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return None
                ready, _, _ = select.select([self.sock], [], [], remaining)
                if not ready:
                    continue
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except (ConnectionResetError, ssl.SSLError) as e:
                raise Failure(f"connection lost: {e}")
            if not chunk:
                raise Failure("connection closed by the peer")
            self.buf.extend(chunk)


def response(req, code, reason, to_tag=None, extra="", body=""):
    """A response to `req` (RFC 3261 §8.2.6): Via, From, To (+ tag), Call-ID, CSeq."""
    lines = [f"SIP/2.0 {code} {reason}"]
    lines += [f"Via: {v}" for v in req.all("via")]
    to = req.get("to")
    if to_tag and header_param(to, "tag") is None:
        to += f";tag={to_tag}"
    lines += [f"From: {req.get('from')}", f"To: {to}",
              f"Call-ID: {req.get('call-id')}", f"CSeq: {req.get('cseq')}"]
    lines += [x for x in extra.split("\r\n") if x]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


SUITE = "AES_CM_128_HMAC_SHA1_80"


def new_key():
    """A fresh SDES inline key||salt (30 bytes, base64)."""
    import base64
    return base64.b64encode(secrets.token_bytes(30)).decode()


def sdp(ip, session, port, key=None, mux=False, crypto_tag=1, ice=None, event_pt=None):
    """An audio offer/answer: PCMU and PCMA (and telephone-event/8000 at `event_pt`);
    with `key` RTP/SAVP and its a=crypto line; with `ice` (ufrag, pwd) ICE credentials and
    a host candidate."""
    proto = "RTP/SAVP" if key else "RTP/AVP"
    formats = "0 8" + (f" {event_pt}" if event_pt is not None else "")
    body = (f"v=0\r\no={session} 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} {proto} {formats}\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n")
    if event_pt is not None:
        body += f"a=rtpmap:{event_pt} telephone-event/8000\r\na=fmtp:{event_pt} 0-15\r\n"
    if mux:
        body += "a=rtcp-mux\r\n"
    if key:
        body += f"a=crypto:{crypto_tag} {SUITE} inline:{key}\r\n"
    if ice:
        body += (f"a=ice-ufrag:{ice[0]}\r\na=ice-pwd:{ice[1]}\r\n"
                 f"a=candidate:1 1 UDP 2130706431 {ip} {port} typ host\r\n")
    return body


def media_of(body):
    """(ip, port, [(tag, suite, inline key)], rtcp-mux, {ice-ufrag, ice-pwd}) of an SDP's
    first audio stream."""
    ip, port, cryptos, mux = None, None, [], False
    ice = {}
    for line in body.decode("utf-8", "replace").split("\r\n"):
        if line.startswith("c=IN IP4 "):
            ip = line.split()[2]
        elif line.startswith("m=audio ") and port is None:
            port = int(line.split()[1])
        elif line.startswith("a=crypto:"):
            parts = line[len("a=crypto:"):].split()
            if len(parts) >= 3 and parts[2].startswith("inline:"):
                key = parts[2][len("inline:"):].split("|")[0]
                cryptos.append((parts[0], parts[1], key))
        elif line == "a=rtcp-mux":
            mux = True
        elif line.startswith("a=ice-ufrag:") or line.startswith("a=ice-pwd:"):
            name, _, value = line[2:].partition(":")
            ice[name] = value
    return ip, port, cryptos, mux, ice


def event_pt_of(body):
    """The payload type of telephone-event/8000 in an SDP, or None."""
    for line in body.decode("utf-8", "replace").split("\r\n"):
        if line.startswith("a=rtpmap:") and " " in line:
            pt, _, codec = line[len("a=rtpmap:"):].partition(" ")
            if codec.lower() == "telephone-event/8000" and pt.isdigit():
                return int(pt)
    return None


def answer_event_pt(args, offer_body):
    """The answer's telephone-event payload type: none when the offer has none, else
    --event-pt, else the offer's own (RFC 3264 §6.1 says SHOULD, not MUST)."""
    offered = event_pt_of(offer_body)
    if offered is None:
        return None
    return args.event_pt if args.event_pt is not None else offered


class Media:
    """tools/rtp.py for one call, when --rtp-out asks for it."""

    def __init__(self, args, ip, port=None, ssrc="7ea50001", out=None, count=50):
        self.args = args
        self.ip = ip
        self.port = port or args.media_port
        self.ssrc = ssrc
        self.out = out or args.rtp_out
        self.count = count
        self.key = new_key() if args.srtp else None
        self.ice = (token(), secrets.token_hex(12)) if args.ice else None
        self.proc = None

    def start(self, their_body):
        if not self.args.rtp_out:
            return
        ip, port, cryptos, _, theirs_ice = media_of(their_body)
        if ip is None or port is None:
            raise Failure("the other side's SDP has no c=/m= line")
        argv = [sys.executable, self.args.rtp_tool, "--bind", f"{self.ip}:{self.port}",
                "--to", f"{ip}:{port}", "--ssrc", self.ssrc, "--count", str(self.count),
                "--delay", "0.3", "--out", self.out]
        if self.ice:
            if "ice-ufrag" not in theirs_ice or "ice-pwd" not in theirs_ice:
                raise Failure("no ICE credentials in the other side's SDP")
            argv += ["--ice",
                     f"{theirs_ice['ice-ufrag']}:{self.ice[0]}:{theirs_ice['ice-pwd']}"]
        if self.key:
            theirs = [k for (_, suite, k) in cryptos if suite == SUITE]
            if not theirs:
                raise Failure(f"no {SUITE} a=crypto in the other side's SDP")
            argv += ["--srtp-key", self.key, "--srtp-recv-key", theirs[0]]
        import subprocess
        self.proc = subprocess.Popen(argv)
        out("note", f"media to {ip}:{port}")

    def finish(self):
        if self.proc:
            try:
                self.proc.wait(timeout=15)
            except Exception:
                self.proc.kill()


class Caller:
    """The UAC of one call (the `call` mode)."""

    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.wait
        self.call_id = f"{token()}@{args.bind}"
        self.from_tag = token()
        self.cseq = 0
        self.ended_by_peer = False

    def connect(self):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.bind((self.args.bind, 0))
        raw.settimeout(max(1.0, self.deadline - time.monotonic()))
        try:
            raw.connect(parse_addr(self.args.to))
            context = ssl.create_default_context(cafile=self.args.ca)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            name = self.args.server_name or parse_addr(self.args.to)[0]
            sock = context.wrap_socket(raw, server_hostname=name)
        except (OSError, ssl.SSLError) as e:
            raise Failure(f"cannot connect: {e}")
        self.local = f"{self.args.bind}:{sock.getsockname()[1]}"
        out("note", f"connected from {self.local}, {sock.version()}")
        self.stream = Stream(sock, self.deadline)

    def request(self, method, uri, to, cseq=None, branch=None, routes=(), body=""):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        branch = branch or f"z9hG4bK{token()}"
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/TLS {self.local};branch={branch}",
                 "Max-Forwards: 70"]
        lines += [f"Route: {r}" for r in routes]
        lines += [f'From: "TLS Caller" <sip:+4989555000@{self.args.bind}>;tag={self.from_tag}',
                  f"To: {to}", f"Call-ID: {self.call_id}", f"CSeq: {cseq} {method}",
                  f"Contact: <sip:caller@{self.local};transport=tls>",
                  "User-Agent: sbc-lab-tls-ua"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.stream.send("\r\n".join(lines) + "\r\n\r\n" + body)
        return branch

    def answer_request(self, req):
        """An in-dialog request from the other side: 200 (BYE ends the call)."""
        if req.method() == "ACK":
            return
        self.stream.send(response(req, 200, "OK"))
        if req.method() == "BYE":
            out("note", "BYE from the peer answered 200")
            self.ended_by_peer = True

    def wait_response(self, branch, method, until=None):
        """The next response of the transaction (branch, method); requests meanwhile
        are answered. None when `until` passes first."""
        while True:
            msg = self.stream.receive(until)
            if msg is None:
                return None
            if msg.is_request():
                self.answer_request(msg)
                if self.ended_by_peer:
                    return None
                continue
            if header_param(msg.get("via"), "branch") == branch and msg.cseq()[1] == method:
                return msg
            out("note", f"unrelated response ignored: {msg.start}")

    def run(self):
        self.connect()
        host, port = parse_addr(self.args.to)
        uri = f"sip:{self.args.user}@{host}:{port};transport=tls"
        to = f"<sip:{self.args.user}@{host}>"
        self.media = Media(self.args, self.args.bind)
        offer = sdp(self.args.bind, "tlscaller", self.args.media_port, self.media.key,
                    mux=self.args.srtp, ice=self.media.ice)
        branch = self.request("INVITE", uri, to, body=offer)
        while True:
            final = self.wait_response(branch, "INVITE")
            if final is None:
                raise Failure("no final response to the INVITE")
            code = final.status()
            out("note", f"INVITE got {code}")
            if code >= 200:
                break
        if code >= 300:
            # §17.1.1.3: the ACK of a non-2xx is part of the INVITE transaction.
            self.request("ACK", uri, final.get("to"), cseq=1, branch=branch)
            raise Failure(f"INVITE answered {code}")
        target = uri_of(final.get("contact"))
        if not target:
            raise Failure("2xx without Contact")
        routes = list(reversed(final.all("record-route")))
        dialog_to = final.get("to")
        self.request("ACK", target, dialog_to, cseq=1, routes=routes)
        self.media.start(final.body)
        hold_until = time.monotonic() + self.args.hold_ms / 1000.0
        while time.monotonic() < hold_until and not self.ended_by_peer:
            msg = self.stream.receive(hold_until)
            if msg is None:
                break
            if msg.is_request():
                self.answer_request(msg)
            elif msg.status() and 200 <= msg.status() < 300 and msg.cseq()[1] == "INVITE":
                # A retransmitted 2xx: our ACK crossed it; ACK again.
                self.request("ACK", target, dialog_to, cseq=1, routes=routes)
        if self.ended_by_peer:
            return
        bye = self.request("BYE", target, dialog_to, routes=routes)
        reply = self.wait_response(bye, "BYE")
        while reply is not None and reply.status() < 200:
            reply = self.wait_response(bye, "BYE")
        self.media.finish()
        if self.ended_by_peer:
            return
        if reply is None or reply.status() != 200:
            raise Failure(f"BYE answered {reply.status() if reply else 'never'}")
        out("note", "BYE answered 200")

    def options(self):
        """The `options` mode: one OPTIONS to --uri, 200 expected."""
        self.connect()
        uri = self.args.uri
        branch = self.request("OPTIONS", uri, f"<{uri}>")
        final = self.wait_response(branch, "OPTIONS")
        while final is not None and final.status() < 200:
            final = self.wait_response(branch, "OPTIONS")
        if final is None or final.status() != 200:
            raise Failure(f"OPTIONS answered {final.status() if final else 'never'}")
        out("note", "OPTIONS answered 200")


class Callee:
    """The UAS side (the `serve` mode): a TLS trunk peer answering calls."""

    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.wait
        self.listen = args.listen
        self.tag = token()
        self.done = False
        self.calls = 0
        self.media = Media(args, "")
        self.forks = []

    def forked(self, stream, req, contact):
        """`--forks 2`: two endpoints answer the INVITE with early media (media bypass:
        each its own To tag, SDP, key, ICE credentials and rtp.py, 200 packets over 4 s):
        fork a's 183 and media first, fork b's 183 1.5 s later, then fork b answers 1 s
        after that with the SDP of its 183. rtp.py's JSON of fork a and b go to
        `--rtp-out` with `-a`/`-b` before its extension."""
        stream.send(response(req, 100, "Trying"))
        ip = self.listen.rpartition(":")[0]
        _, _, cryptos, mux, _ = media_of(req.body)
        crypto_tag = next((t for (t, suite, _) in cryptos if suite == SUITE), "1")
        stem, dot, ext = self.args.rtp_out.rpartition(".")
        answers = []
        for i, (name, ssrc) in enumerate((("a", "f0a0000a"), ("b", "f0b0000b"))):
            if i:
                time.sleep(1.5)
            media = Media(self.args, ip, self.args.media_port + 2 * i, ssrc,
                          f"{stem}-{name}{dot}{ext}", count=200)
            tag = f"{self.tag}{name}"
            body = sdp(ip, f"teams-{name}", media.port, media.key, mux, crypto_tag, media.ice,
                       answer_event_pt(self.args, req.body))
            stream.send(response(req, 183, "Session Progress", tag, contact, body))
            media.start(req.body)
            self.forks.append(media)
            answers.append((tag, body))
        time.sleep(1.0)
        tag, body = answers[1]
        self.tag = tag
        stream.send(response(req, 200, "OK", tag, contact, body))
        out("note", "fork b answered")

    def run(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.args.cert, self.args.key)
        if self.args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.args.client_ca)
        context.sni_callback = lambda _sock, name, _ctx: out("note", f"sni {name or '-'}")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(parse_addr(self.listen))
        listener.listen(8)
        out("note", "listening")
        while not self.done:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise Failure("no completed call before the deadline")
            ready, _, _ = select.select([listener], [], [], remaining)
            if not ready:
                continue
            raw, remote = listener.accept()
            raw.settimeout(5)
            try:
                sock = context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError) as e:
                out("note", f"handshake with {remote[0]}:{remote[1]} failed: {e}")
                raw.close()
                continue
            out("note", f"accepted {remote[0]}:{remote[1]}, {sock.version()}")
            peer = sock.getpeercert()
            if peer:
                names = [v for k, v in peer.get("subjectAltName", ()) if k == "DNS"]
                out("note", f"client-cert {' '.join(names) or '-'}")
            try:
                self.serve(Stream(sock, self.deadline))
            except Failure as e:
                out("note", f"connection ended: {e}")
            sock.close()

    def serve(self, stream):
        contact = f"Contact: <sip:pbx@{self.listen};transport=tls>"
        while not self.done:
            req = stream.receive()
            if req is None:
                raise Failure("deadline")
            method = req.method()
            if method is None or method == "ACK":
                if method == "ACK":
                    out("note", "ACK received")
                continue
            if method == "INVITE" and self.args.forks == 2:
                self.forked(stream, req, contact)
            elif method == "INVITE":
                stream.send(response(req, 100, "Trying"))
                stream.send(response(req, 180, "Ringing", self.tag, contact))
                ip = self.listen.rpartition(":")[0]
                self.media = Media(self.args, ip)
                _, _, cryptos, mux, _ = media_of(req.body)
                tag = next((t for (t, suite, _) in cryptos if suite == SUITE), "1")
                answer = sdp(ip, "tlspbx", self.args.media_port, self.media.key, mux, tag,
                             self.media.ice, answer_event_pt(self.args, req.body))
                stream.send(response(req, 200, "OK", self.tag, contact, answer))
                self.media.start(req.body)
            elif method == "BYE":
                stream.send(response(req, 200, "OK", self.tag))
                out("note", "BYE answered 200")
                self.media.finish()
                for fork in self.forks:
                    fork.finish()
                self.calls += 1
                self.done = self.calls >= self.args.calls
            elif method in ("OPTIONS", "CANCEL"):
                stream.send(response(req, 200, "OK", self.tag))
                if method == "OPTIONS" and self.args.calls == 0:
                    self.done = True
            else:
                stream.send(response(req, 501, "Not Implemented", self.tag))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    call = sub.add_parser("call")
    call.add_argument("--to", required=True)
    call.add_argument("--bind", required=True)
    call.add_argument("--ca", required=True)
    call.add_argument("--server-name")
    call.add_argument("--user", required=True)
    call.add_argument("--hold-ms", type=int, default=500)
    serve = sub.add_parser("serve")
    serve.add_argument("--listen", required=True)
    serve.add_argument("--cert", required=True)
    serve.add_argument("--key", required=True)
    serve.add_argument("--client-ca")
    serve.add_argument("--calls", type=int, default=1)
    serve.add_argument("--forks", type=int, default=1, choices=(1, 2))
    serve.add_argument("--event-pt", type=int, default=None)
    options = sub.add_parser("options")
    options.add_argument("--to", required=True)
    options.add_argument("--bind", required=True)
    options.add_argument("--ca", required=True)
    options.add_argument("--server-name")
    options.add_argument("--uri", required=True)
    for p in (call, serve, options):
        p.add_argument("--wait", type=float, default=15.0)
        p.add_argument("--srtp", action="store_true")
        p.add_argument("--ice", action="store_true")
        p.add_argument("--rtp-tool", default=None)
        p.add_argument("--rtp-out", default=None)
    call.add_argument("--media-port", type=int, default=40000)
    serve.add_argument("--media-port", type=int, default=50000)
    options.add_argument("--media-port", type=int, default=40000)
    args = parser.parse_args()
    try:
        if args.mode == "call":
            Caller(args).run()
        elif args.mode == "options":
            Caller(args).options()
        else:
            Callee(args).run()
    except Failure as e:
        out("result", f"fail {e}")
        return 1
    out("result", "ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
