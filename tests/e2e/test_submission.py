"""Mail submission (RFC 6409) on ports 587 (STARTTLS) and 465 (implicit TLS,
RFC 8314), with AUTH (RFC 4954), driven by clients others wrote: Python's
smtplib, swaks and curl. Mail to other domains waits in the queue for the
remote route (the relay transport is another piece of work): what is checked
here is that it was accepted, and queued with the route "remote"."""

import base64
import os
import smtplib
import socket
import ssl
import subprocess
import unittest

from hostmail_env import HostmailTestCase, needs_tools, read_reply

PASSWORD = "john's password"


def tls_context():
    # `hostmail init` made a self-signed certificate for the tests.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def plain(login, password):
    return base64.b64encode(b"\0" + login.encode() + b"\0" + password.encode()).decode()


class SubmissionTestCase(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin=PASSWORD + "\n")
        self.ok("account", "add", "mary@example.org", "--password-stdin", stdin="mary pw\n")
        self.ok("alias", "add", "sales@example.org", "john@example.org")
        self.set_option("server", "postmaster_address", '"mary@example.org"')

    def submission(self):
        """smtplib on 587, after STARTTLS and EHLO again."""
        s = smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=30)
        self.addCleanup(s.close)
        s.starttls(context=tls_context())
        return s

    def smtps(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.ports["smtps"], timeout=30,
                             context=tls_context())
        self.addCleanup(s.close)
        return s

    def queued(self):
        """(recipient, transport) of every queued recipient."""
        return sorted((r["recipient"], r["transport"])
                      for r in self.ok("queue", "list", "--json").json())

    def raw(self, port, tls=False):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if tls:
            sock = tls_context().wrap_socket(sock)
        self.addCleanup(sock.close)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220 "))
        return sock, f

    reply = staticmethod(read_reply)

    def command(self, sock, f, line):
        sock.sendall(line.encode() + b"\r\n")
        return self.reply(f)


class AuthTest(SubmissionTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def test_starttls_login_and_send_anywhere(self):
        s = self.submission()
        s.login("john@example.org", PASSWORD)
        refused = s.sendmail("john@example.org", ["friend@elsewhere.example", "mary@example.org"],
                             "From: John <john@example.org>\r\nSubject: hi\r\n\r\nhello\r\n")
        self.assertEqual(refused, {})
        [message] = self.delivered("example.org/mary")
        # RFC 6409 8.2 and 8.3: the server completes what the client left out.
        self.assertRegex(message, rb"(?m)^Message-ID: <[^>]+@[^>]+>\r?$")
        self.assertRegex(message, rb"(?m)^Date: \w{3}, \d")
        self.assertRegex(message, rb"with ESMTPSA id")
        self.assertIn(b"[127.0.0.1]", message)
        self.assertEqual(self.queued(), [("friend@elsewhere.example", "remote:elsewhere.example")])
        self.assertIn("smtp login user=john@example.org from [127.0.0.1] on submission",
                      self.server_log())

    def test_a_large_message_is_completed_too(self):
        # Past 128 KiB a message waits in a file, not in memory: the added
        # fields must reach it all the same, and the body intact.
        body = "".join("line %06d of a long message\r\n" % n for n in range(8000))
        s = self.smtps()
        s.login("john@example.org", PASSWORD)
        s.sendmail("john@example.org", ["mary@example.org"],
                   "From: john@example.org\r\nSubject: big\r\n\r\n" + body)
        [message] = self.delivered("example.org/mary")
        self.assertRegex(message, rb"(?m)^Message-ID: <[^>]+>\r?$")
        self.assertRegex(message, rb"(?m)^Date: ")
        self.assertTrue(message.replace(b"\r\n", b"\n").endswith(
            body.replace("\r\n", "\n").encode()))

    def test_smtps_login_plain_and_login(self):
        for mechanism in ("PLAIN", "LOGIN"):
            s = self.smtps()
            s.ehlo()
            self.assertIn("PLAIN", s.esmtp_features["auth"])
            self.assertIn("LOGIN", s.esmtp_features["auth"])
            s.user, s.password = "john@example.org", PASSWORD
            code, text = s.auth(mechanism, getattr(s, "auth_" + mechanism.lower()),
                                initial_response_ok=(mechanism == "PLAIN"))
            self.assertEqual(code, 235, text)
            msg = "From: sales@example.org\r\nMessage-ID: <mine@example.org>\r\n" \
                  "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nSubject: %s\r\n\r\nbody\r\n" % mechanism
            self.assertEqual(s.sendmail("sales@example.org", ["mary@example.org"], msg), {})
        messages = self.delivered("example.org/mary", count=2)
        for message in messages:
            # The client's own fields are kept, not doubled.
            self.assertEqual(message.count(b"Message-ID:"), 1)
            self.assertEqual(message.count(b"\nDate:"), 1)
            self.assertIn(b"Message-ID: <mine@example.org>", message)

    def test_no_password_before_tls(self):
        s = smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=30)
        self.addCleanup(s.close)
        s.ehlo()
        self.assertIn("starttls", s.esmtp_features)
        self.assertNotIn("auth", s.esmtp_features)
        code, text = s.docmd("AUTH", "PLAIN " + plain("john@example.org", PASSWORD))
        self.assertEqual((code, text[:6]), (538, b"5.7.11"))
        code, text = s.docmd("MAIL", "FROM:<john@example.org>")
        self.assertEqual(code, 530, text)
        self.assertNotIn("smtp login user=", self.server_log())

    def test_wrong_password_and_unknown_user_look_alike(self):
        for login, password in (("john@example.org", "wrong"), ("nobody@example.org", "x")):
            s = self.smtps()
            with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                s.login(login, password)
            self.assertEqual(caught.exception.smtp_code, 535)
            self.assertTrue(caught.exception.smtp_error.startswith(b"5.7.8"))

    def test_nothing_before_auth(self):
        for s in (self.submission(), self.smtps()):
            s.ehlo()
            code, text = s.mail("john@example.org")
            self.assertEqual(code, 530, text)
            self.assertTrue(text.startswith(b"5.7.0"), text)

    def test_sender_must_be_the_users(self):
        s = self.submission()
        s.login("john@example.org", PASSWORD)
        code, text = s.mail("mary@example.org")
        self.assertEqual(code, 553, text)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        s.rset()
        with self.assertRaises(smtplib.SMTPDataError) as caught:
            s.sendmail("john@example.org", ["mary@example.org"],
                       "From: Mary <mary@example.org>\r\nSubject: forged\r\n\r\nx\r\n")
        self.assertEqual(caught.exception.smtp_code, 553)
        self.assertEqual(self.maildir_files("example.org/mary"), [])

    def test_port_25_offers_no_auth_by_default(self):
        sock, f = self.raw(self.ports["smtp"])
        code, text = self.command(sock, f, "EHLO client.example")
        self.assertNotIn("AUTH", text)
        code, text = self.command(sock, f, "AUTH PLAIN " + plain("john@example.org", PASSWORD))
        self.assertEqual(code, 503, text)


# What other servers have been fooled into relaying (Postfix's
# smtpd_recipient_restrictions notes, the classic relay tests).
RELAY_TRICKS = [
    "friend%elsewhere.example@example.org",
    "@example.org:friend@elsewhere.example",
    "@example.org,@mx.example.org:friend@elsewhere.example",
    '"friend@elsewhere.example"@example.org',
    '"friend%elsewhere.example"@example.org',
    "elsewhere.example!friend@example.org",
    "friend@elsewhere.example.",
    "friend@elsewhere.example@example.org",
    "friend@[127.0.0.1]",
    "friend@elsewhere.example",
]


class OpenRelayTest(SubmissionTestCase):
    """Never an open relay, on any listener: a client that has not logged
    in gets no address of another domain accepted, however it is written."""

    def setUp(self):
        super().setUp()
        self.start_server()

    def attempt(self, sock, f, start_tls):
        if start_tls:
            self.command(sock, f, "EHLO client.example")
            code, _ = self.command(sock, f, "STARTTLS")
            self.assertEqual(code, 220)
            sock = tls_context().wrap_socket(sock)
            self.addCleanup(sock.close)
            f = sock.makefile("rb")
        self.command(sock, f, "EHLO client.example")
        accepted = []
        for rcpt in RELAY_TRICKS:
            code, text = self.command(sock, f, "MAIL FROM:<someone@elsewhere.example>")
            if code == 250:
                code, text = self.command(sock, f, "RCPT TO:<%s>" % rcpt)
                if code < 400:
                    accepted.append((rcpt, text))
            self.command(sock, f, "RSET")
        return accepted

    def test_port_25(self):
        sock, f = self.raw(self.ports["smtp"])
        self.assertEqual(self.attempt(sock, f, start_tls=False), [])
        self.assertEqual(self.queued(), [])

    def test_port_587(self):
        sock, f = self.raw(self.ports["submission"])
        self.assertEqual(self.attempt(sock, f, start_tls=True), [])
        self.assertEqual(self.queued(), [])

    def test_port_465(self):
        sock, f = self.raw(self.ports["smtps"], tls=True)
        self.assertEqual(self.attempt(sock, f, start_tls=False), [])
        self.assertEqual(self.queued(), [])

    def test_port_25_with_auth_offered(self):
        self.stop_server()
        self.set_option("submission", "auth_on_smtp", "true")
        self.start_server()
        sock, f = self.raw(self.ports["smtp"])
        self.assertEqual(self.attempt(sock, f, start_tls=True), [])
        self.assertEqual(self.queued(), [])


class SettingsTest(SubmissionTestCase):
    def test_rate_limit_per_account(self):
        self.set_option("submission", "account_messages_per_minute", "2")
        self.start_server()
        s = self.smtps()
        s.login("john@example.org", PASSWORD)
        for n in range(2):
            s.sendmail("john@example.org", ["mary@example.org"], "Subject: %d\r\n\r\nx\r\n" % n)
        code, text = s.mail("john@example.org")
        self.assertEqual(code, 451, text)
        self.assertTrue(text.startswith(b"4.7.1"), text)
        # The count is the account's, whichever connection it uses.
        other = self.submission()
        other.login("john@example.org", PASSWORD)
        self.assertEqual(other.mail("john@example.org")[0], 451)
        self.delivered("example.org/mary", count=2)

    def test_rate_limit_per_client_address(self):
        self.set_option("submission", "client_recipients_per_minute", "3")
        self.start_server()
        s = self.smtps()
        s.login("john@example.org", PASSWORD)
        s.mail("john@example.org")
        codes = [s.rcpt("r%d@elsewhere.example" % n)[0] for n in range(4)]
        self.assertEqual(codes, [250, 250, 250, 451])

    def test_hidden_client_address(self):
        self.set_option("submission", "hide_client_ip", "true")
        self.start_server()
        s = self.submission()
        s.login("john@example.org", PASSWORD)
        s.sendmail("john@example.org", ["mary@example.org"], "Subject: x\r\n\r\nx\r\n")
        [message] = self.delivered("example.org/mary")
        self.assertNotIn(b"127.0.0.1", message)
        self.assertIn(b"with ESMTPSA id", message)

    def test_sender_check_can_be_turned_off(self):
        self.set_option("submission", "sender_check", "false")
        self.start_server()
        s = self.submission()
        s.login("john@example.org", PASSWORD)
        self.assertEqual(s.sendmail("anyone@elsewhere.example", ["mary@example.org"],
                                    "From: anyone@elsewhere.example\r\n\r\nx\r\n"), {})
        self.delivered("example.org/mary")

    def test_no_tls_no_submission(self):
        self.set_option("tls", "cert", '""')
        self.set_option("tls", "key", '""')
        self.start_server()
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.ports["submission"]), timeout=5)
        self.assertIn("[listen] submission and smtps are not served", self.server_log())


@needs_tools("swaks", "curl")
class OtherClientsTest(SubmissionTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def run_tool(self, *args):
        proc = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc

    def test_swaks_starttls_and_tls_on_connect(self):
        for port, tls in ((self.ports["submission"], "--tls"),
                          (self.ports["smtps"], "--tls-on-connect")):
            for mechanism in ("PLAIN", "LOGIN"):
                self.run_tool("swaks", "--server", "127.0.0.1", "--port", str(port), tls,
                              "--auth", mechanism, "--auth-user", "john@example.org",
                              "--auth-password", PASSWORD, "--from", "john@example.org",
                              "--to", "mary@example.org,friend@elsewhere.example",
                              "--header", "From: john@example.org", "--timeout", "30")
        self.delivered("example.org/mary", count=4)
        self.assertEqual(len(self.queued()), 4)

    def test_swaks_wrong_password_fails(self):
        proc = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                               str(self.ports["submission"]), "--tls", "--auth", "PLAIN",
                               "--auth-user", "john@example.org", "--auth-password", "bad",
                               "--from", "john@example.org", "--to", "mary@example.org"],
                              capture_output=True, text=True, timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("535 5.7.8", proc.stdout)

    def test_curl_ssl_reqd_and_smtps(self):
        message = os.path.join(self.dir, "message.txt")
        with open(message, "w") as f:
            f.write("From: john@example.org\r\nSubject: curl\r\n\r\nhello\r\n")
        for url in ("smtp://127.0.0.1:%d" % self.ports["submission"],
                    "smtps://127.0.0.1:%d" % self.ports["smtps"]):
            self.run_tool("curl", "--silent", "--show-error", "--ssl-reqd", "--insecure", url,
                          "--user", "john@example.org:" + PASSWORD,
                          "--mail-from", "john@example.org", "--mail-rcpt", "mary@example.org",
                          "--upload-file", message)
        messages = self.delivered("example.org/mary", count=2)
        for m in messages:
            self.assertRegex(m, rb"(?m)^Message-ID: <")


if __name__ == "__main__":
    unittest.main()
