"""Bounces through the real daemon: mail accepted with 250 that then fails
for good at a local account (its mailbox command exits 67, EX_NOUSER) comes
back to a hosted sender as an RFC 3464 delivery status notification in the
sender's Maildir. Needs root, like the other local-delivery tests: it creates
a shell user and the daemon's privileged helper runs the command as that user."""

import email
import email.policy
import os
import pwd
import re
import secrets
import smtplib
import time
import unittest

from hostmail_env import HostmailTestCase, needs_root, needs_tools, scaled
from test_local_delivery import retry_on_lock

MESSAGE = (
    "From: Sender <sender@example.org>\r\n"
    "To: team@example.org\r\n"
    "Subject: will bounce\r\n"
    "Message-ID: <bounce-e2e@example.org>\r\n"
    "\r\n"
    "this body must not come back\r\n"
)


@needs_root("creates a local user and drops privileges")
@needs_tools("useradd", "userdel")
class BounceTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.user = "hmb" + secrets.token_hex(4)
        retry_on_lock(["useradd", "-m", "-s", "/bin/sh", self.user])
        self.addCleanup(retry_on_lock, ["userdel", "-r", self.user])
        pw = pwd.getpwnam(self.user)
        # A mailbox command that refuses every message as EX_NOUSER.
        script = os.path.join(pw.pw_dir, "refuse.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\necho 'no mailbox here' >&2\nexit 67\n")
        os.chown(script, pw.pw_uid, pw.pw_gid)
        os.chmod(script, 0o755)
        with open(self.config) as f:
            text = f.read()
        local = f'[local]\nenabled = true\nmailbox_command = "{script}"\n'
        text = re.sub(r"(?ms)^\[local\]\n.*?(?=^\[)", local + "\n", text)
        with open(self.config, "w") as f:
            f.write(text)

        self.user_maildir = os.path.join(pw.pw_dir, "Maildir")

        self.ok("domain", "add", "example.org")
        for account in ("sender@example.org", "pm@example.org"):
            self.ok("account", "add", account, "--password-stdin", stdin="pw\n")
        self.ok("alias", "add", "team@example.org", self.user)
        # Where a bounce sent to the wrong place would be seen: the
        # postmaster is a mailbox of its own.
        self.set_option("server", "postmaster_address", '"pm@example.org"')

    def wait_for_mail(self, mailbox, timeout=15):
        deadline = time.time() + scaled(timeout)
        while time.time() < deadline:
            files = self.maildir_files(mailbox)
            if files:
                return files
            time.sleep(0.05)
        self.fail(f"nothing arrived in {mailbox}\n" + self.server_log())

    def test_failed_local_delivery_bounces_to_the_hosted_sender(self):
        self.start_server()
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            self.assertEqual(s.sendmail("sender@example.org", ["team@example.org"], MESSAGE), {})

        files = self.wait_for_mail("example.org/sender")
        self.assertEqual(len(files), 1, files)
        raw = files[0]
        self.assertTrue(raw.startswith(b"Return-Path: <>\n"), raw[:200])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertEqual(msg["To"], "sender@example.org")
        self.assertTrue(str(msg["From"]).endswith("MAILER-DAEMON@" + self.hostname() + ">"),
                        msg["From"])
        self.assertIsNotNone(msg["Message-ID"])
        self.assertIsNotNone(msg["Date"])

        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        notice = parts[0].get_content()
        self.assertIn("team@example.org", notice)
        self.assertIn("EX_NOUSER", notice)

        # message/delivery-status: the per-message block, then one per recipient.
        blocks = parts[1].get_payload()
        self.assertEqual(len(blocks), 2, blocks)
        self.assertEqual(blocks[0]["Reporting-MTA"], "dns; " + self.hostname())
        self.assertIsNotNone(blocks[0]["Arrival-Date"])
        rcpt = blocks[1]
        self.assertEqual(rcpt["Original-Recipient"], "rfc822;team@example.org")
        self.assertEqual(rcpt["Final-Recipient"], f"rfc822;{self.user}@{self.hostname()}")
        self.assertEqual(rcpt["Action"], "failed")
        self.assertTrue(rcpt["Status"].startswith("5."), rcpt["Status"])
        self.assertTrue(rcpt["Diagnostic-Code"].startswith("smtp; 5"), rcpt["Diagnostic-Code"])

        headers = parts[2].get_payload()
        self.assertIn("Subject: will bounce", headers)
        self.assertIn("Message-ID: <bounce-e2e@example.org>", headers)
        self.assertNotIn(b"this body must not come back", raw)

        # Settled: nothing waits in the queue (so no later queue run can
        # bounce it again), and the log says what happened.
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])
        self.assertIn("bounce sent to=<sender@example.org>", self.server_log())
        # One bounce, to the sender only; nothing reached the recipient.
        self.assertEqual(len(self.maildir_files("example.org/sender")), 1)
        self.assert_nothing_delivered_but_to("example.org/sender")

    def test_mail_from_the_null_sender_is_not_bounced(self):
        # The message's From: is a hosted sender and a postmaster is
        # configured: a bounce sent anyway, to either, would land in a
        # mailbox this test reads.
        self.start_server()
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            self.assertEqual(s.sendmail("<>", ["team@example.org"], MESSAGE), {})
        deadline = time.time() + scaled(10)
        while "no bounce for the null sender" not in self.server_log() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("no bounce for the null sender", self.server_log())
        # Decided at once: nothing queued that a later run could bounce.
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])
        self.assertNotIn("bounce sent", self.server_log())
        self.assertNotIn("bounce to <", self.server_log())
        self.assert_nothing_delivered_but_to(None)

    def assert_nothing_delivered_but_to(self, mailbox):
        """No mail in any hosted mailbox but `mailbox`, nor in the local
        user's ~/Maildir (its mailbox command refused the message)."""
        for other in ("example.org/sender", "example.org/pm"):
            if other != mailbox:
                self.assertEqual(self.maildir_files(other), [], other)
        self.assertFalse(os.path.exists(self.user_maildir), self.user_maildir)

    def hostname(self):
        with open(self.config) as f:
            return re.search(r'(?m)^hostname = "([^"]*)"', f.read()).group(1)


if __name__ == "__main__":
    unittest.main()
