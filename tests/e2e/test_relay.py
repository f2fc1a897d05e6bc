"""The outbound relay through the real daemon: mail for other domains (here
through forwarding aliases) leaves by SMTP to the MX hosts that a DNS
server of the test's own names (a few lines of stdlib below, on loopback),
reaching Postfix's smtp-sink, or a little SMTP server of the test's that
refuses every recipient. A null MX and a refusing server come back to the
hosted sender as a delivery status notification."""

import email
import email.policy
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import unittest

from hostmail_env import HostmailTestCase, free_port, needs_tools, scaled

SINK = "/usr/sbin/smtp-sink"


class DnsServer:
    """Answers A and MX queries from a table, on 127.0.0.1 (UDP): a name
    with records of other types only gets NOERROR without answers, any
    other name NXDOMAIN."""

    A, MX = 1, 15

    def __init__(self, zone):
        self.zone = zone  # {(name, type): [address or (preference, host)]}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    @staticmethod
    def name(text):
        out = b""
        for label in text.rstrip(".").split(".") if text not in ("", ".") else []:
            out += bytes([len(label)]) + label.encode()
        return out + b"\0"

    def serve(self):
        while True:
            try:
                query, peer = self.sock.recvfrom(1500)
            except OSError:
                return
            labels, i = [], 12
            while i < len(query) and query[i] != 0:
                labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
                i += 1 + query[i]
            qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
            qname = ".".join(labels)
            records = self.zone.get((qname, qtype), [])
            exists = any(key[0] == qname for key in self.zone)
            rcode = 0 if exists else 3
            answer = query[:2] + struct.pack("!HHHHH", 0x8180 | rcode, 1, len(records), 0, 0)
            answer += query[12:i + 5]
            for record in records:
                if qtype == self.A:
                    data = socket.inet_aton(record)
                else:
                    data = struct.pack("!H", record[0]) + self.name(record[1])
                answer += self.name(qname) + struct.pack("!HHIH", qtype, 1, 60, len(data)) + data
            self.sock.sendto(answer, peer)

    def close(self):
        self.sock.close()


class RefusingSmtpServer:
    """Greets, then refuses every recipient with 550 5.1.1."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as f:
                conn.sendall(b"220 refusing.example ESMTP\r\n")
                for line in f:
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        conn.sendall(b"250-refusing.example\r\n250 8BITMIME\r\n")
                    elif verb == b"RCPT":
                        conn.sendall(b"550 5.1.1 <nobody@refusing.example>: no such user here\r\n")
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    elif verb == b"DATA":
                        conn.sendall(b"554 5.5.1 no valid recipients\r\n")
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


@needs_tools(SINK)
class RelayTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.dns = DnsServer({
            ("example.net", DnsServer.MX): [(10, "mx.example.net")],
            ("mx.example.net", DnsServer.A): ["127.0.0.1"],
            ("nomail.example", DnsServer.MX): [(0, ".")],
        })
        self.addCleanup(self.dns.close)
        self.refusing = RefusingSmtpServer()
        self.addCleanup(self.refusing.close)
        # smtp-sink drops to nobody before it writes its dump.
        self.sink_dir = os.path.join(self.dir, "sink")
        os.makedirs(self.sink_dir)
        os.chmod(self.sink_dir, 0o777)
        self.dump = os.path.join(self.sink_dir, "dump")
        self.sink_port = free_port()
        self.sink = subprocess.Popen([SINK, "-u", "nobody", "-D", self.dump,
                                      "127.0.0.1:%d" % self.sink_port, "10"])
        self.addCleanup(self.stop_sink)
        self.set_option("relay", "dns_servers", '["127.0.0.1:%d"]' % self.dns.port)
        self.set_option("relay", "smtp_port", str(self.sink_port))
        with open(self.config, "a") as f:
            f.write('\n[transport]\n"refusing.example" = "smtp:[127.0.0.1]:%d"\n'
                    % self.refusing.port)
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "sender@example.org", "--password-stdin", stdin="pw\n")
        self.ok("alias", "add", "fwd@example.org", "friend@example.net")
        self.ok("alias", "add", "dead@example.org", "someone@nomail.example")
        self.ok("alias", "add", "refused@example.org", "nobody@refusing.example")

    def stop_sink(self):
        self.sink.terminate()
        self.sink.wait()

    def send(self, to, subject):
        import smtplib
        message = ("From: Sender <sender@example.org>\r\nTo: %s\r\nSubject: %s\r\n"
                   "Message-ID: <%s@example.org>\r\n\r\nhello\r\n" % (to, subject, subject))
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            self.assertEqual(s.sendmail("sender@example.org", [to], message), {})

    def sink_received(self, text, timeout=20):
        deadline = time.time() + scaled(timeout)
        while time.time() < deadline:
            if os.path.exists(self.dump):
                with open(self.dump, "rb") as f:
                    dump = f.read()
                if text.encode() in dump:
                    return dump
            time.sleep(0.1)
        self.fail("smtp-sink did not get %r\n%s" % (text, self.why_not_delivered()))

    def bounce(self, timeout=20):
        deadline = time.time() + scaled(timeout)
        while time.time() < deadline:
            files = self.maildir_files("example.org/sender")
            if files:
                return email.message_from_bytes(files[0], policy=email.policy.default)
            time.sleep(0.1)
        self.fail("no bounce arrived\n" + self.why_not_delivered())

    def test_forward_to_an_external_address_is_relayed_and_signed(self):
        self.ok("dkim", "keygen", "example.org")
        self.start_server()
        self.send("fwd@example.org", "relayed")
        dump = self.sink_received("Subject: relayed")
        self.assertIn(b"friend@example.net", dump)
        self.assertIn(b"DKIM-Signature: v=1;", dump)
        self.assertIn(b"d=example.org", dump)
        deadline = time.time() + scaled(10)
        while self.ok("queue", "list", "--json").json() and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_null_mx_bounces_at_once(self):
        self.start_server()
        self.send("dead@example.org", "nullmx")
        msg = self.bounce()
        self.assertEqual(msg.get_content_type(), "multipart/report")
        rcpt = list(msg.iter_parts())[1].get_payload()[1]
        self.assertEqual(rcpt["Status"], "5.1.10")
        self.assertIn("null MX", rcpt["Diagnostic-Code"])
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_remote_refusal_bounces_with_the_remote_reply(self):
        self.start_server()
        self.send("refused@example.org", "refused")
        msg = self.bounce()
        rcpt = list(msg.iter_parts())[1].get_payload()[1]
        self.assertEqual(rcpt["Status"], "5.1.1")
        self.assertIn("550 5.1.1 <nobody@refusing.example>: no such user here",
                      rcpt["Diagnostic-Code"])
        self.assertIn("127.0.0.1", rcpt["Diagnostic-Code"])


if __name__ == "__main__":
    unittest.main()
