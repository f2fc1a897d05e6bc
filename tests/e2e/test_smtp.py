"""SMTP in and Maildir delivery, driven by clients others wrote: Python's
smtplib, swaks and curl, plus a raw socket for what those clients refuse to
send (smuggling attempts)."""

import asyncio
import json
import os
import pwd
import re
import resource
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import unittest

from hostmail_env import (BIN, VMAIL_GROUP, VMAIL_USER, HostmailTestCase, needs_root,
                          read_reply, scaled)

MESSAGE = (
    "From: Sender <sender@elsewhere.example>\r\n"
    "To: John <john@example.org>\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "first line\r\n"
    ".a line that starts with a dot\r\n"
    "..two dots\r\n"
    "last line\r\n"
)


def set_limit(config, key, value):
    with open(config) as f:
        text = f.read()
    text = re.sub(r"(?m)^%s = .*$" % key, "%s = %s" % (key, value), text, count=1)
    if not re.search(r"(?m)^%s = " % key, text):
        text = text.replace("[limits]\n", "[limits]\n%s = %s\n" % (key, value), 1)
    with open(config, "w") as f:
        f.write(text)


class SmtpTestCase(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")
        self.ok("domain", "add", "other.example")
        for a in ("john@example.org", "mary@example.org", "boss@other.example",
                  "real@other.example"):
            self.ok("account", "add", a, "--password-stdin", stdin="pw\n")
        self.ok("alias", "add", "team@example.org", "john@example.org", "mary@example.org")
        self.ok("alias", "add", "@other.example", "boss@other.example")
        # What docs/operations.md tells an administrator to set.
        self.set_option("server", "postmaster_address", '"mary@example.org"')

    def smtp(self):
        s = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30)
        self.addCleanup(lambda: s.close())
        return s

    def raw(self):
        sock = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
        self.addCleanup(sock.close)
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220 "))
        return sock, f

    def raw_in_data(self):
        """A raw session that has sent EHLO, MAIL, RCPT for john and DATA, and
        got 250, 250, 250 and 354: the next bytes are message content."""
        sock, f = self.raw()
        sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\nDATA\r\n")
        for code in (250, 250, 250, 354):
            self.assertEqual(self.reply(f)[0], code)
        return sock, f

    def greeted(self, timeout=10):
        """A connection that got its 220, waiting while earlier ones (the
        start-up probe) still hold their slots."""
        deadline = time.time() + timeout
        while True:
            sock = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
            self.addCleanup(sock.close)
            f = sock.makefile("rb")
            line = f.readline()
            if line.startswith(b"220 ") or time.time() > deadline:
                self.assertTrue(line.startswith(b"220 "), line)
                return sock, f
            sock.close()
            time.sleep(0.1)

    reply = staticmethod(read_reply)


class StartUpTest(SmtpTestCase):
    """The harness itself: free_port() cannot reserve a port, so another
    program may listen on it before the daemon binds. start_server() must
    not take that program for the daemon, and must try again elsewhere."""

    def test_a_port_taken_before_the_daemon_binds_is_retried_elsewhere(self):
        squatter = socket.socket()
        self.addCleanup(squatter.close)
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", self.ports["smtp"]))
        squatter.listen(8)
        taken = self.ports["smtp"]
        self.start_server()
        self.assertNotEqual(self.ports["smtp"], taken)
        self.assertIn("the port is in use by another program", self.server_log())
        self.assertEqual(self.smtp().sendmail("a@elsewhere.example", ["john@example.org"],
                                              MESSAGE), {})
        self.delivered("example.org/john", 1)


class PostmasterTest(SmtpTestCase):
    """Issue 11.5: mail for postmaster and abuse is never accepted and then
    lost: it reaches the person the aliases file or [server]
    postmaster_address names, or is refused for now."""

    def setUp(self):
        super().setUp()
        self.set_option("server", "postmaster_address", '""')

    def test_postmaster_mail_with_nowhere_to_go_is_refused_for_now(self):
        self.start_server()
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("")
        for rcpt in ("postmaster", "postmaster@example.org", "abuse@other.example"):
            code, text = s.rcpt(rcpt)
            self.assertEqual(code, 451, (rcpt, text))
            self.assertIn(b"nowhere to go", text)
        self.assertIn("postmaster_address", self.server_log())
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_the_aliases_file_takes_postmaster_and_abuse_to_a_person(self):
        with open(self.aliases, "w") as f:
            f.write("# as Debian ships it, plus a line for root\n"
                    "postmaster: root\nabuse: root\nroot: john@example.org\n")
        self.start_server()
        s = self.smtp()
        refused = s.sendmail("", ["Postmaster", "postmaster@example.org", "abuse@example.org",
                                  "postmaster@other.example"], MESSAGE)
        self.assertEqual(refused, {})
        # One message, one copy for john however many ways lead to him.
        self.delivered("example.org/john", 1)
        s.sendmail("a@elsewhere.example", ["abuse@other.example"], MESSAGE)
        self.delivered("example.org/john", 2)
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_postmaster_address_takes_what_nothing_else_does(self):
        self.set_option("server", "postmaster_address", '"boss@other.example"')
        self.start_server()
        self.smtp().sendmail("", ["abuse@example.org"], MESSAGE)
        self.delivered("other.example/boss", 1)


@needs_root("the daemon drops privileges only when started as root")
class StartUpOrderTest(SmtpTestCase):
    """serve started as root reads its TLS key as root, drops privileges,
    and only then accepts: a client waiting at the door when the port was
    bound is served by the unprivileged daemon, never by root half-way
    through the switch (which queued its mail on "Permission denied")."""

    def config_value(self, table, key):
        with open(self.config) as f:
            text = f.read()
        section = text[text.index("[%s]" % table):]
        return re.search(r'(?m)^%s = "([^"]*)"' % key, section).group(1)

    def test_a_key_only_root_may_read_works_and_no_client_meets_root(self):
        key = self.config_value("tls", "key")
        os.chown(key, 0, 0)
        os.chmod(key, 0o400)
        # Connect and send while the daemon starts: the first client waits in
        # the listen queue until the daemon accepts.
        for folder in ("", "state", "vmail", "vmail/domains"):
            shutil.chown(os.path.join(self.dir, folder), VMAIL_USER, VMAIL_GROUP)
        log = open(os.path.join(self.dir, "serve.log"), "a")
        self.addCleanup(log.close)
        self.server = subprocess.Popen([BIN, "--config", self.config, "serve"],
                                       stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_server)
        deadline = time.time() + 20
        while True:
            try:
                s = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30)
                break
            except OSError:
                if time.time() > deadline or self.server.poll() is not None:
                    self.fail("hostmail serve did not listen: " + self.server_log())
                time.sleep(0.005)
        self.addCleanup(s.close)
        s.ehlo("early.example")
        self.assertIn("starttls", s.esmtp_features, self.server_log())
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("early.example")
        s.sendmail("a@elsewhere.example", ["john@example.org"], MESSAGE)
        s.quit()
        path = os.path.join(self.maildirs, "example.org/john/new")
        files = os.listdir(path)
        self.assertEqual(len(files), 1, self.why_not_delivered())
        owner = os.stat(os.path.join(path, files[0])).st_uid
        self.assertEqual(owner, pwd.getpwnam(VMAIL_USER).pw_uid)
        log_text = self.server_log()
        self.assertLess(log_text.index("running as " + VMAIL_USER),
                        log_text.index("smtp listening on"), log_text)


class DeliveryTest(SmtpTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def test_message_arrives_byte_for_byte(self):
        s = self.smtp()
        s.ehlo("client.example")
        self.assertIn("pipelining", s.esmtp_features)
        self.assertIn("size", s.esmtp_features)
        self.assertIn("chunking", s.esmtp_features)
        self.assertIn("starttls", s.esmtp_features)
        refused = s.sendmail("sender@elsewhere.example", ["John@Example.org"], MESSAGE)
        self.assertEqual(refused, {})
        s.quit()
        files = self.delivered("example.org/john", 1)
        text = files[0].decode()
        header, _, rest = text.partition("Received: ")
        self.assertEqual(header, "Return-Path: <sender@elsewhere.example>\n"
                                 "Delivered-To: john@example.org\n")
        received, _, body = rest.partition("\nFrom: ")
        self.assertRegex(received, r"from client\.example \(\[127\.0\.0\.1\]\)\n\tby \S+ "
                                   r"\(hostmail\) with ESMTP id \S+\n\tfor <john@example\.org>; ")
        # Dot-stuffing undone by smtplib's sender and our receiver: the body is as written.
        self.assertEqual("From: " + body, MESSAGE.replace("\r\n", "\n"))
        # The Maildir was made on first delivery, private to its owner.
        mode = os.stat(os.path.join(self.maildirs, "example.org/john")).st_mode & 0o777
        self.assertEqual(mode, 0o700)
        for sub in ("tmp", "new", "cur"):
            self.assertTrue(os.path.isdir(os.path.join(self.maildirs, "example.org/john", sub)))

    def test_unknown_recipient_rejected_at_rcpt(self):
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        code, text = s.rcpt("nobody@example.org")
        self.assertEqual(code, 550)
        self.assertIn(b"5.1.1", text)
        code, _ = s.rcpt("john@example.org")
        self.assertEqual(code, 250)

    def test_relay_refused(self):
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        code, text = s.rcpt("victim@far-away.example")
        self.assertEqual(code, 554)
        self.assertIn(b"5.7.1", text)

    def test_alias_fans_out_and_shares_one_file(self):
        s = self.smtp()
        s.sendmail("a@elsewhere.example", ["team@example.org"], MESSAGE)
        self.delivered("example.org/john", 1)
        self.delivered("example.org/mary", 1)
        john = os.path.join(self.maildirs, "example.org/john/new")
        mary = os.path.join(self.maildirs, "example.org/mary/new")
        (j,), (m,) = os.listdir(john), os.listdir(mary)
        sj, sm = os.stat(os.path.join(john, j)), os.stat(os.path.join(mary, m))
        self.assertEqual(sj.st_ino, sm.st_ino)
        self.assertEqual(sj.st_nlink, 2)
        with open(os.path.join(john, j), "rb") as f:
            self.assertIn(b"Delivered-To: team@example.org\n", f.read())

    def test_catch_all_and_account_precedence(self):
        s = self.smtp()
        s.sendmail("a@elsewhere.example", ["anything@other.example", "real@other.example"],
                   MESSAGE)
        self.delivered("other.example/boss", 1)
        self.delivered("other.example/real", 1)

    def test_postmaster_and_abuse_always_accepted(self):
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        for rcpt in ("postmaster", "Postmaster", "postmaster@example.org", "abuse@example.org",
                     "postmaster@other.example", "abuse@other.example"):
            code, text = s.rcpt(rcpt)
            self.assertEqual(code, 250, (rcpt, text))

    def test_postmaster_mail_arrives(self):
        s = self.smtp()
        refused = s.sendmail("", ["postmaster", "postmaster@example.org", "abuse@example.org"],
                             MESSAGE)
        self.assertEqual(refused, {})
        self.delivered("example.org/mary", 1)

    def test_recipient_delimiter(self):
        s = self.smtp()
        s.sendmail("a@elsewhere.example", ["john+lists@example.org"], MESSAGE)
        # A 250 means the file is in new/, unless the delivery was queued
        # after a Maildir error: then the queue and the log say why.
        files = self.delivered("example.org/john", 1)
        self.assertIn(b"Delivered-To: john+lists@example.org\n", files[0])

    def test_alias_loop_is_a_permanent_error(self):
        self.ok("alias", "add", "loop1@example.org", "loop2@example.org")
        self.ok("alias", "add", "loop2@example.org", "loop1@example.org")
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        code, text = s.rcpt("loop1@example.org")
        self.assertEqual(code, 550)
        self.assertIn(b"5.4.6", text)

    def test_external_maildrop_waits_in_the_queue(self):
        self.ok("alias", "add", "fwd@example.org", "friend@far-away.example")
        s = self.smtp()
        self.assertEqual(s.sendmail("a@elsewhere.example", ["fwd@example.org"], MESSAGE), {})
        s.quit()
        queued = self.ok("queue", "list", "--json").json()
        self.assertEqual(len(queued), 1, queued)
        self.assertIn("friend@far-away.example", json.dumps(queued))

    def test_failed_delivery_is_queued_and_retried(self):
        # A file where john's Maildir should be: delivery fails, the message waits.
        domain_dir = os.path.join(self.maildirs, "example.org")
        os.makedirs(domain_dir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(domain_dir, VMAIL_USER, VMAIL_GROUP)  # the daemon runs as vmail
        blocker = os.path.join(domain_dir, "john")
        with open(blocker, "w") as f:
            f.write("not a Maildir")
        s = self.smtp()
        self.assertEqual(s.sendmail("a@elsewhere.example", ["john@example.org"], MESSAGE), {})
        s.quit()
        queued = self.ok("queue", "list", "--json").json()
        self.assertEqual(len(queued), 1, queued)
        self.assertIn("john@example.org", json.dumps(queued))
        os.unlink(blocker)
        self.ok("queue", "retry")
        files = self.delivered("example.org/john", 1, timeout=20)
        self.assertIn(b"Delivered-To: john@example.org\n", files[0])
        deadline = time.time() + 10
        while time.time() < deadline and self.ok("queue", "list", "--json").json():
            time.sleep(0.2)
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_swaks(self):
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.ports["smtp"]),
                            "--from", "swaks@elsewhere.example", "--to", "mary@example.org",
                            "--header", "Subject: via swaks", "--body", "hello from swaks"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        files = self.delivered("example.org/mary", 1)
        self.assertIn(b"Subject: via swaks\n", files[0])
        self.assertIn(b"hello from swaks", files[0])

    def test_swaks_starttls(self):
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.ports["smtp"]),
                            "--tls", "--from", "tls@elsewhere.example", "--to", "john@example.org",
                            "--body", "over TLS"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("TLS started", r.stdout)
        files = self.delivered("example.org/john", 1)
        self.assertRegex(files[0].decode(), r"with ESMTPS id")

    def test_curl_smtp_with_ssl_reqd(self):
        body = "From: curl@elsewhere.example\r\nSubject: curl\r\n\r\nsent by curl\r\n"
        r = subprocess.run(["curl", "--silent", "--show-error", "--ssl-reqd", "--insecure",
                            "smtp://127.0.0.1:%d" % self.ports["smtp"],
                            "--mail-from", "curl@elsewhere.example",
                            "--mail-rcpt", "mary@example.org", "--upload-file", "-"],
                           input=body, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = self.delivered("example.org/mary", 1)
        self.assertIn(b"sent by curl", files[0])

    def test_curl_plain(self):
        r = subprocess.run(["curl", "--silent", "--show-error",
                            "smtp://127.0.0.1:%d" % self.ports["smtp"],
                            "--mail-from", "curl@elsewhere.example",
                            "--mail-rcpt", "john@example.org", "--upload-file", "-"],
                           input="Subject: plain\r\n\r\nbody\r\n", capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.delivered("example.org/john", 1)

    def test_bdat_chunking(self):
        sock, f = self.raw()
        sock.sendall(b"EHLO raw.example\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<john@example.org>\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        self.assertEqual(self.reply(f)[0], 250)
        part1, part2 = b"Subject: bdat\r\n\r\n.first\r\n", b"second\r\n"
        sock.sendall(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"BDAT %d LAST\r\n" % len(part2) + part2)
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"QUIT\r\n")
        files = self.delivered("example.org/john", 1)
        # BDAT data is not dot-stuffed: the leading dot stays.
        self.assertTrue(files[0].endswith(b"Subject: bdat\n\n.first\nsecond\n"), files[0])

    def test_smuggling_attempts_do_not_end_data(self):
        for fake_end in (b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n"):
            sock, f = self.raw_in_data()
            smuggled = (b"Subject: outer\r\n\r\nbody" + fake_end +
                        b"MAIL FROM:<evil@elsewhere.example>\r\nRCPT TO:<mary@example.org>\r\n"
                        b"DATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
            sock.sendall(smuggled)
            code, text = self.reply(f)
            self.assertEqual(code, 250, text)
            sock.sendall(b"QUIT\r\n")
            self.assertEqual(self.reply(f)[0], 221)
        # Everything went to john as one message each; mary got nothing.
        self.delivered("example.org/john", 5)
        self.assertEqual(self.maildir_files("example.org/mary"), [])

    def test_syntax_and_sequence_errors(self):
        sock, f = self.raw()
        sock.sendall(b"MAIL FROM:<a@elsewhere.example>\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 503)
        sock.sendall(b"EHLO raw.example\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"RCPT TO:<john@example.org>\r\n")
        self.assertEqual(self.reply(f)[0], 503)
        sock.sendall(b"FOO bar\r\n")
        self.assertEqual(self.reply(f)[0], 500)
        sock.sendall(b"MAIL FROM:missing-brackets@example.org\r\n")
        self.assertEqual(self.reply(f)[0], 501)
        sock.sendall(b"X" * 2000 + b"\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 500)
        self.assertIn("5.5.2", text)
        sock.sendall(b"VRFY john\r\n")
        self.assertEqual(self.reply(f)[0], 252)
        sock.sendall(b"NOOP\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"QUIT\r\n")
        self.assertEqual(self.reply(f)[0], 221)

    def test_nul_bytes_and_overlong_command_lines_are_refused_and_the_session_goes_on(self):
        sock, f = self.raw()
        sock.sendall(b"EHLO raw\x00.example\r\n")
        code, text = self.reply(f)
        self.assertEqual((code, text[4:9]), (500, "5.5.2"), text)
        self.assertIn("NUL", text)
        sock.sendall(b"NOOP\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        # Command lines past the 1,000-octet limit, just past it and far
        # past it (with a NUL inside): each refused as too long, the
        # session kept, and the server's buffer bounded.
        for line in (b"NOOP " + b"x" * 1000, b"NOOP " + b"x\x00" * 512 * 1024):
            sock.sendall(line + b"\r\n")
            code, text = self.reply(f)
            self.assertEqual((code, text[4:9]), (500, "5.5.2"), text)
            self.assertIn("Line too long", text)
            sock.sendall(b"NOOP\r\n")
            self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"EHLO raw.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\nDATA\r\n")
        for code in (250, 250, 250, 354):
            self.assertEqual(self.reply(f)[0], code)
        # In a message a NUL becomes a space (Maildir files stay text).
        sock.sendall(b"Subject: nul\r\n\r\na\x00b\r\n.\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        sock.sendall(b"QUIT\r\n")
        self.assertEqual(self.reply(f)[0], 221)
        files = self.delivered("example.org/john", 1)
        self.assertTrue(files[0].endswith(b"Subject: nul\n\na b\n"), files[0])
        self.assertIsNone(self.server.poll())

    def test_long_content_lines_are_delivered_intact(self):
        # Long lines are common in the wild (HTML newsletters, some phone
        # clients): accepted and stored as sent, as Postfix does. A 998-octet
        # line after its stuffing dot is legal even by RFC 5321's count.
        long_line = "".join(chr(ord("a") + i % 26) for i in range(5000))
        dotted = "." + "d" * 997
        sock, f = self.raw_in_data()
        body = "Subject: long\r\n\r\n" + long_line + "\r\n" + dotted + "\r\nend\r\n"
        sock.sendall(body.replace("\r\n.", "\r\n..").encode() + b".\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 250, text)
        files = self.delivered("example.org/john", 1)
        self.assertTrue(files[0].endswith(("\n" + long_line + "\n" + dotted + "\nend\n").encode()))
        # Command lines keep their limit, and the refusal is logged.
        sock.sendall(b"NOOP " + b"x" * 2000 + b"\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 500, text)
        sock.sendall(b"QUIT\r\n")
        self.assertEqual(self.reply(f)[0], 221)
        self.assertRegex(self.server_log(), r"smtp refused \[127\.0\.0\.1\]: 500 5\.5\.2 Line too long")

    def test_hostmail_deliver_command(self):
        r = self.run_hm("deliver", "--recipient", "team@example.org", "--sender",
                        "lda@elsewhere.example", stdin="Subject: lda\n\nvia deliver\n")
        self.assertEqual(r.code, 0, r)
        files = self.delivered("example.org/mary", 1)
        self.assertTrue(files[0].startswith(b"Return-Path: <lda@elsewhere.example>\n"
                                            b"Delivered-To: team@example.org\n"))
        self.assertTrue(files[0].endswith(b"Subject: lda\n\nvia deliver\n"))
        r = self.run_hm("deliver", "--recipient", "ghost@example.org", stdin="x\n")
        self.assertEqual(r.code, 67, r)


class DuplicatesAndQuotaTest(SmtpTestCase):
    """Issue 11.8: repeated recipients are delivered once, and an account's
    quota is kept (Maildir++ maildirsize) and enforced at RCPT and at
    delivery."""

    def setUp(self):
        super().setUp()
        self.ok("account", "add", "small@example.org", "--quota", "20000",
                "--password-stdin", stdin="pw\n")
        self.start_server()

    def test_a_thousand_identical_rcpts_make_one_copy(self):
        body = "Subject: many\r\n\r\n" + ("x" * 990 + "\r\n") * 100
        refused = self.smtp().sendmail("a@elsewhere.example", ["john@example.org"] * 1000
                                       + ["team@example.org"], body)
        self.assertEqual(refused, {})
        self.delivered("example.org/john", 1)
        time.sleep(0.3)  # a second copy would have been written with the first
        self.delivered("example.org/john", 1)
        self.delivered("example.org/mary", 1)

    def test_quota_is_enforced_at_rcpt_and_at_delivery(self):
        message = "Subject: 15 KB\r\n\r\n" + ("y" * 998 + "\r\n") * 15
        s = self.smtp()
        self.assertEqual(s.sendmail("a@elsewhere.example", ["small@example.org"], message), {})
        self.delivered("example.org/small", 1)
        with open(os.path.join(self.maildirs, "example.org/small/maildirsize")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "20000S")
        # smtplib announces SIZE: the second does not fit, the client is told so.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            s.sendmail("a@elsewhere.example", ["small@example.org"], message)
        code, text = refused.exception.recipients["small@example.org"]
        self.assertEqual((code, text[:5]), (452, b"4.2.2"))
        # Larger than the whole quota: refused for good.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
            s.sendmail("a@elsewhere.example", ["small@example.org"], message * 2)
        self.assertEqual(refused.exception.recipients["small@example.org"][0], 552)
        # Without SIZE the message is accepted, and waits in the queue until
        # there is room: never a third file over the quota, never lost.
        sock, f = self.raw()
        for line, want in ((b"HELO c.example", 250), (b"MAIL FROM:<a@elsewhere.example>", 250),
                           (b"RCPT TO:<small@example.org>", 250), (b"DATA", 354)):
            sock.sendall(line + b"\r\n")
            self.assertEqual(self.reply(f)[0], want, line)
        sock.sendall(message.encode() + b".\r\n")
        self.assertEqual(self.reply(f)[0], 250)
        self.delivered("example.org/small", 1)
        queued = self.ok("queue", "list", "--json").json()
        self.assertEqual([(e["recipient"], e["state"]) for e in queued],
                         [("small@example.org", "deferred")])
        self.assertIn("4.2.2", self.ok("queue", "list").out)


class LimitsTest(SmtpTestCase):
    def setUp(self):
        super().setUp()
        set_limit(self.config, "message_size", 2000)
        set_limit(self.config, "recipients", 2)
        self.start_server()

    def test_size_limit(self):
        s = self.smtp()
        s.ehlo("client.example")
        self.assertEqual(s.esmtp_features["size"], "2000")
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            # smtplib announces SIZE=3000 itself, since the server offers SIZE.
            s.sendmail("a@elsewhere.example", ["john@example.org"], "x" * 3000)
        self.assertEqual(e.exception.smtp_code, 552)
        s.rset()
        # Without SIZE= the server finds out in DATA.
        s.mail("a@elsewhere.example")
        s.rcpt("john@example.org")
        code, text = s.data(("Subject: big\r\n\r\n" + "y" * 70 + "\r\n") * 40)
        self.assertEqual(code, 552)
        self.assertIn(b"5.3.4", text)
        self.assertEqual(self.maildir_files("example.org/john"), [])

    def test_recipient_limit(self):
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        self.assertEqual(s.rcpt("john@example.org")[0], 250)
        self.assertEqual(s.rcpt("mary@example.org")[0], 250)
        code, text = s.rcpt("real@other.example")
        self.assertEqual(code, 452)
        self.assertIn(b"4.5.3", text)

    def test_an_alias_that_expands_past_the_limit_and_a_bad_address_are_refused_for_good(self):
        # Codes from the one Error-to-SMTP mapping: an alias with more
        # destinations than [limits] recipients is 550 5.5.3 (permanent:
        # the transaction's own limit above is the temporary 452 4.5.3).
        self.ok("alias", "add", "crowd@example.org", "john@example.org", "mary@example.org",
                "boss@other.example")
        s = self.smtp()
        s.ehlo("client.example")
        s.mail("a@elsewhere.example")
        code, text = s.rcpt("crowd@example.org")
        self.assertEqual((code, text[:5]), (550, b"5.5.3"), text)
        code, text = s.rcpt("nobody-at-all@example.org")
        self.assertEqual((code, text[:5]), (550, b"5.1.1"), text)


class SessionLimitsTest(SmtpTestCase):
    def setUp(self):
        super().setUp()
        set_limit(self.config, "errors_per_session", 3)
        set_limit(self.config, "command_timeout_s", scaled(1))
        set_limit(self.config, "data_timeout_s", scaled(1))
        self.start_server()

    def test_too_many_errors_end_the_session(self):
        sock, f = self.raw()
        for _ in range(2):
            sock.sendall(b"BOGUS\r\n")
            self.assertEqual(self.reply(f)[0], 500)
        sock.sendall(b"BOGUS\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 500)
        code, text = self.reply(f)
        self.assertEqual(code, 421, text)
        self.assertEqual(f.readline(), b"")  # closed

    @staticmethod
    def trickle(sock, data, interval):
        """Sends `data` one byte every `interval` seconds, on a thread, until
        done or the server closes."""
        def run():
            for b in data:
                try:
                    sock.sendall(bytes([b]))
                except OSError:
                    return
                time.sleep(interval)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def assert_cut_off(self, f, start, within):
        """The server said 421 4.4.2 (timeout) less than `within` s after `start`."""
        code, text = self.reply(f)
        self.assertEqual(code, 421, text)
        self.assertIn("4.4.2", text)
        self.assertLess(time.time() - start, within)

    def test_trickled_command_times_out(self):
        # One byte every 0.25 s: each read comes well within the timeout,
        # but the command as a whole must arrive within it.
        sock, f = self.greeted()
        start = time.time()
        self.trickle(sock, b"NOOP " + b"x" * 30 + b"\r\n", 0.25)
        self.assert_cut_off(f, start, within=scaled(4))

    def test_trickled_data_times_out(self):
        # In DATA too: well below data_min_rate, the transfer is cut off
        # after about data_timeout_s, however regularly bytes arrive.
        sock, f = self.greeted()
        sock.sendall(b"EHLO slow.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\nDATA\r\n")
        for code in (250, 250, 250, 354):
            self.assertEqual(self.reply(f)[0], code)
        start = time.time()
        self.trickle(sock, b"Subject: slow\r\n\r\n" + b"y" * 40 + b"\r\n.\r\n", 0.25)
        self.assert_cut_off(f, start, within=scaled(4))
        self.assertEqual(self.maildir_files("example.org/john"), [])

    def test_idle_client_times_out(self):
        sock, f = self.raw()
        start = time.time()
        self.assert_cut_off(f, start, within=scaled(10))

    def test_stalled_tls_handshake_and_stalled_data_time_out(self):
        # STARTTLS accepted, then no ClientHello: the handshake has a
        # deadline too, and the server closes the connection.
        sock, f = self.greeted()
        sock.sendall(b"EHLO stall.example\r\n")
        code, text = self.reply(f)
        # `hostmail init` made a certificate and the configuration names it:
        # STARTTLS not offered is a failure of ours, not a reason to skip.
        self.assertIn("STARTTLS", text)
        start = time.time()
        sock.sendall(b"STARTTLS\r\n")
        self.assertEqual(self.reply(f)[0], 220)
        self.assertEqual(f.readline(), b"")  # closed, without a TLS session
        self.assertLess(time.time() - start, scaled(10))
        # Half a message and then silence: DATA has its own deadline.
        sock, f = self.greeted()
        sock.sendall(b"EHLO stall.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\nDATA\r\n")
        self.assertEqual([self.reply(f)[0] for _ in range(4)], [250, 250, 250, 354])
        start = time.time()
        sock.sendall(b"Subject: never finished\r\n\r\nhalf a line")
        code, text = self.reply(f)
        self.assertEqual(code, 421, text)
        self.assertLess(time.time() - start, scaled(10))
        self.assertEqual(self.maildir_files("example.org/john"), [])


class LargeMessageTest(SmtpTestCase):
    """A message past a small size waits in an unnamed file, not in memory."""

    def setUp(self):
        super().setUp()
        self.start_server()

    def rss_anon_kb(self):
        with open("/proc/%d/status" % self.server.pid) as f:
            return int(re.search(r"RssAnon:\s+(\d+) kB", f.read()).group(1))

    def spool_files(self):
        fd_dir = "/proc/%d/fd" % self.server.pid
        found = []
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if "/queue/tmp/" in target and target.endswith("(deleted)"):
                found.append(target)
        return found

    def test_large_data_is_spooled_and_delivered_intact(self):
        line = b"".join(bytes([0x41 + i % 26]) for i in range(76)) + b"\r\n"
        body = line * (24 * 1024 * 1024 // len(line))  # 24 MB
        sock, f = self.raw()
        sock.sendall(b"EHLO big.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\nDATA\r\n")
        for code in (250, 250, 250, 354):
            self.assertEqual(self.reply(f)[0], code)
        before = self.rss_anon_kb()
        sock.sendall(b"Subject: big\r\n\r\n" + body)
        time.sleep(0.5)  # let the server take in what is in flight
        grown = self.rss_anon_kb() - before
        spooled = self.spool_files()
        sock.sendall(b".\r\n")
        code, text = self.reply(f)
        self.assertEqual(code, 250, text)
        self.assertLess(grown, 8 * 1024, "the daemon grew by %d kB while 24 MB arrived" % grown)
        self.assertEqual(len(spooled), 1, spooled)
        self.assertEqual(self.spool_files(), [])  # gone once delivered
        files = self.delivered("example.org/john", 1)
        self.assertTrue(files[0].endswith(b"Subject: big\n\n" + body.replace(b"\r\n", b"\n")))

    def test_large_bdat_is_spooled_and_delivered_intact(self):
        # Bare LFs and a CR LF split between two chunks: normalised as one.
        part = b"x" * 70 + b"\n" + b"y" * 70 + b"\r\n"
        first = b"Subject: chunks\r\n\r\n" + part * 20000 + b"end\r"
        second = b"\n" + part * 20000
        sock, f = self.raw()
        sock.sendall(b"EHLO big.example\r\nMAIL FROM:<a@elsewhere.example>\r\n"
                     b"RCPT TO:<john@example.org>\r\n")
        for code in (250, 250, 250):
            self.assertEqual(self.reply(f)[0], code)
        sock.sendall(b"BDAT %d\r\n" % len(first) + first)
        self.assertEqual(self.reply(f)[0], 250)
        self.assertEqual(len(self.spool_files()), 1)
        sock.sendall(b"BDAT %d LAST\r\n" % len(second) + second)
        code, text = self.reply(f)
        self.assertEqual(code, 250, text)
        files = self.delivered("example.org/john", 1)
        expected = (first + second).replace(b"\r\n", b"\n")
        self.assertTrue(files[0].endswith(expected))


class ConnectionSlotTest(SmtpTestCase):
    """Two connections per address, and a command timeout far longer than
    the test: only the server seeing a client's QUIT or close gives its slot
    back (a short timeout would free it anyway and prove nothing)."""

    def setUp(self):
        super().setUp()
        set_limit(self.config, "connections_per_ip", 2)
        set_limit(self.config, "command_timeout_s", 3600)
        self.start_server()

    def assert_refused(self):
        third = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
        self.addCleanup(third.close)
        line = third.makefile("rb").readline()
        self.assertEqual(line, b"421 4.7.0 Too many connections from your address, "
                               b"try again later\r\n")

    def test_a_slot_is_free_again_once_the_server_has_seen_the_quit_or_the_close(self):
        first, f1 = self.greeted()
        second, f2 = self.greeted()
        self.assert_refused()
        first.sendall(b"QUIT\r\n")
        self.assertEqual(self.reply(f1)[0], 221)
        first.close()
        self.greeted(timeout=scaled(5))  # the slot QUIT gave back
        self.assert_refused()  # the second and the new one hold both slots
        f2.close()  # the socket's file holds the descriptor too
        second.close()  # gone without a QUIT
        self.greeted(timeout=scaled(5))  # the slot the close gave back


class SessionCapTest(SmtpTestCase):
    def setUp(self):
        super().setUp()
        set_limit(self.config, "max_sessions", 2)
        self.start_server()

    def test_sessions_in_all_are_capped(self):
        held = []
        deadline = time.time() + 10
        while len(held) < 2:  # the start-up probe may still hold a place
            sock = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
            self.addCleanup(sock.close)
            f = sock.makefile("rb")
            line = f.readline()
            if line.startswith(b"220 "):
                held.append((sock, f))
            else:
                self.assertLess(time.time(), deadline, line)
                time.sleep(0.1)
        # Another address would be refused as well: the cap is for all.
        third = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
        self.addCleanup(third.close)
        line = third.makefile("rb").readline()
        self.assertEqual(line, b"421 4.7.0 Too many connections, try again later\r\n")
        sock, f = held[0]
        sock.sendall(b"QUIT\r\n")
        self.assertEqual(self.reply(f)[0], 221)
        self.assertEqual(f.readline(), b"")
        for _ in range(50):  # the place is given back when the session has ended
            fourth = socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=30)
            self.addCleanup(fourth.close)
            line = fourth.makefile("rb").readline()
            if line.startswith(b"220 "):
                break
            time.sleep(0.1)
        self.assertTrue(line.startswith(b"220 "), line)
        self.assertIn("smtp refused [127.0.0.1]: 421 4.7.0 Too many connections",
                      self.server_log())


class ReconnectingClientTest(SmtpTestCase):
    """A busy sender that opens a new connection for every message, from
    many sessions at once, and closes right after QUIT without waiting for
    the 221 (as Postfix's smtp client does by default), with the default
    per-address limit."""

    SESSIONS = 20
    MESSAGES = 40

    def setUp(self):
        super().setUp()
        self.start_server()

    async def sender(self, i, refused):
        for n in range(self.MESSAGES):
            reader, writer = await asyncio.open_connection("127.0.0.1", self.ports["smtp"])
            try:
                async def reply():
                    while True:
                        line = await reader.readline()
                        if len(line) < 4 or line[3:4] != b"-":
                            return line

                greeting = await reply()
                if not greeting.startswith(b"220 "):
                    refused.append(greeting)
                    continue
                writer.write(b"EHLO c%d.example\r\nMAIL FROM:<s%d@elsewhere.example>\r\n"
                             b"RCPT TO:<john@example.org>\r\nDATA\r\n" % (i, i))
                await writer.drain()
                codes = [(await reply())[:3] for _ in range(4)]
                self.assertEqual(codes, [b"250", b"250", b"250", b"354"])
                writer.write(b"Subject: %d.%d\r\n\r\nbody\r\n.\r\nQUIT\r\n" % (i, n))
                await writer.drain()
                self.assertEqual((await reply())[:3], b"250")
            finally:
                writer.close()

    async def run_all(self, refused):
        tasks = [self.sender(i, refused) for i in range(self.SESSIONS)]
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)

    def test_no_connection_is_refused(self):
        refused = []
        asyncio.run(self.run_all(refused))
        self.assertEqual(refused, [])
        self.delivered("example.org/john", self.SESSIONS * self.MESSAGES)


class ProcessCrashTest(SmtpTestCase):
    """SIGKILL during a stream of deliveries: every message that got 250 is
    in its Maildir afterwards. This shows safety against a crash of the
    process (nothing is acknowledged before it is written), not durability
    against a power loss, which rests on the fsync order written beside the
    code (store/maildir/maildir_delivery.cc) and its fault-injection tests."""

    def test_no_acknowledged_message_is_lost_when_the_process_is_killed(self):
        self.start_server()
        acknowledged = []
        stop = threading.Event()

        def sender(n):
            i = 0
            while not stop.is_set():
                tag = "m%d-%d" % (n, i)
                try:
                    s = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=10)
                    s.sendmail("a@elsewhere.example", ["team@example.org"],
                               "Subject: %s\r\n\r\n%s\r\n" % (tag, tag))
                    acknowledged.append(tag)
                    s.quit()
                except (OSError, smtplib.SMTPException):
                    pass
                i += 1

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        # Kill in the middle of the stream, whatever the machine's speed.
        deadline = time.time() + 30
        while len(acknowledged) < 10 and time.time() < deadline:
            time.sleep(0.05)
        self.server.send_signal(signal.SIGKILL)
        self.server.wait()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acknowledged), 5)
        self.start_server()  # restarts cleanly on the same store and queue
        for box in ("example.org/john", "example.org/mary"):
            found = {re.search(rb"Subject: (\S+)", m).group(1).decode()
                     for m in self.maildir_files(box)}
            missing = set(acknowledged) - found
            self.assertEqual(missing, set(), box)



class ConcurrencyTest(SmtpTestCase):
    """Many sessions at once on one process, each in the middle of a
    transaction at the same moment; the server starts with the soft open-files
    limit Debian gives a process (1,024) and must raise it itself."""

    SESSIONS = 1500
    MESSAGE_EVERY = 15  # every 15th session also sends a message: 100 in all

    def setUp(self):
        super().setUp()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = self.SESSIONS + 256
        if hard != resource.RLIM_INFINITY and hard < need:
            self.skipTest("the hard open-files limit %d is below %d" % (hard, need))
        if soft != resource.RLIM_INFINITY and soft < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        set_limit(self.config, "connections_per_ip", self.SESSIONS + 10)
        set_limit(self.config, "max_sessions", self.SESSIONS + 10)

        def debian_default_soft_limit():
            _, child_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, child_hard))

        self.start_server(preexec_fn=debian_default_soft_limit)

    async def session(self, i, opened, all_open):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ports["smtp"])
        try:
            async def reply():
                while True:
                    line = await reader.readline()
                    if len(line) < 4 or line[3:4] != b"-":
                        return int(line[:3] or b"0")

            self.assertEqual(await reply(), 220)
            # Pipelined, as PIPELINING allows.
            writer.write(b"EHLO c%d.example\r\nMAIL FROM:<s%d@elsewhere.example>\r\n"
                         b"RCPT TO:<john@example.org>\r\n" % (i, i))
            await writer.drain()
            codes = [await reply() for _ in range(3)]
            opened[0] += 1
            if opened[0] == self.SESSIONS:
                all_open.set()
            await all_open.wait()  # every session is mid-transaction now
            if i % self.MESSAGE_EVERY == 0:
                writer.write(b"DATA\r\n")
                await writer.drain()
                codes.append(await reply())
                writer.write(b"Subject: concurrent %d\r\n\r\nbody %d\r\n.\r\n" % (i, i))
                await writer.drain()
                codes.append(await reply())
            writer.write(b"QUIT\r\n")
            await writer.drain()
            codes.append(await reply())
            return codes
        finally:
            writer.close()

    async def run_all(self):
        opened = [0]
        all_open = asyncio.Event()
        tasks = [self.session(i, opened, all_open) for i in range(self.SESSIONS)]
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)

    def test_fifteen_hundred_sessions_at_once(self):
        results = asyncio.run(self.run_all())
        senders = 0
        for i, codes in enumerate(results):
            if i % self.MESSAGE_EVERY == 0:
                self.assertEqual(codes, [250, 250, 250, 354, 250, 221], i)
                senders += 1
            else:
                self.assertEqual(codes, [250, 250, 250, 221], i)
        self.delivered("example.org/john", senders)
        self.assertIsNone(self.server.poll())
        self.assertNotIn("accept failed", self.server_log())


if __name__ == "__main__":
    unittest.main()
