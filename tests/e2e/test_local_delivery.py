"""Delivery to local (shell) accounts through the privileged helper: a user
created for the test receives in ~/Maildir/ with the right owner, and through
procmail as [local] mailbox_command; the daemon runs as the vmail user while
its helper stays root. Needs root (CI runs as root)."""

import os
import pwd
import re
import secrets
import shutil
import smtplib
import subprocess
import threading
import time
import unittest

from hostmail_env import (TIME_FACTOR, VMAIL_GROUP, VMAIL_USER, HostmailTestCase, needs_root,
                          needs_tools, scaled)

MESSAGE = (
    "From: Sender <sender@elsewhere.example>\r\n"
    "Subject: local delivery\r\n"
    "\r\n"
    "hello local user\r\n"
)


def retry_on_lock(cmd):
    """useradd/userdel fail while another process holds /etc/passwd's lock."""
    for _ in range(50):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0:
            return proc
        if "lock" not in proc.stderr.lower():
            raise AssertionError(f"{cmd} failed: {proc.stderr}")
        time.sleep(0.2)
    raise AssertionError(f"{cmd} kept failing: {proc.stderr}")


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def uids(pid):
    return [int(x) for x in proc_status(pid)["Uid"].split()]


@needs_root("creates a local user and drops privileges")
@needs_tools("useradd", "userdel")
class LocalDeliveryTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.user = "hmt" + secrets.token_hex(4)
        retry_on_lock(["useradd", "-m", "-s", "/bin/sh", self.user])
        self.addCleanup(retry_on_lock, ["userdel", "-r", self.user])
        pw = pwd.getpwnam(self.user)
        self.uid, self.home = pw.pw_uid, pw.pw_dir
        self.maildir_new = os.path.join(self.home, "Maildir", "new")

        self.ok("domain", "add", "example.org")
        self.ok("alias", "add", "team@example.org", self.user)

    def configure(self, mailbox_command=None, delivery_timeout_s=None):
        with open(self.config) as f:
            text = f.read()
        local = "[local]\nenabled = true\naliases = \"%s\"\n" % self.aliases
        if mailbox_command:
            local += f'mailbox_command = "{mailbox_command}"\n'
        if delivery_timeout_s:
            local += f"delivery_timeout_s = {delivery_timeout_s}\n"
        text = re.sub(r"(?ms)^\[local\]\n.*?(?=^\[)", local + "\n", text)
        with open(self.config, "w") as f:
            f.write(text)

    def start_as_root(self):
        # hostmail_env hands the folders to VMAIL_USER before starting. SMTP
        # listens a moment before the switch (TLS files are read in start()),
        # so wait for the line that says it is done.
        pid = self.start_server().pid
        deadline = time.time() + 10
        while "running as" not in self.server_log() and time.time() < deadline:
            time.sleep(0.02)
        return pid

    def send(self, rcpt):
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            refused = s.sendmail("sender@elsewhere.example", [rcpt], MESSAGE)
            self.assertEqual(refused, {})

    def wait_for_files(self, count, timeout=10):
        deadline = time.time() + timeout
        names = []
        while time.time() < deadline:
            names = sorted(os.listdir(self.maildir_new)) if os.path.isdir(self.maildir_new) else []
            if len(names) >= count:
                return names
            time.sleep(0.05)
        self.fail(f"{count} file(s) expected in {self.maildir_new}, found {names}\n"
                  + self.server_log())

    def helper_pids(self, pid):
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]

    def test_maildir_delivery_as_the_user_and_privilege_drop(self):
        self.configure()
        pid = self.start_as_root()

        nobody = pwd.getpwnam(VMAIL_USER).pw_uid
        self.assertEqual(uids(pid), [nobody] * 4, self.server_log())
        self.assertEqual(proc_status(pid)["Groups"].strip(), "")
        helpers = self.helper_pids(pid)
        self.assertEqual(len(helpers), 1, helpers)
        # The whole name: the kernel cuts process names to 15 characters.
        self.assertEqual(proc_status(helpers[0])["Name"], "hostmail-helper")
        with open(f"/proc/{helpers[0]}/comm") as f:
            self.assertEqual(f.read().strip(), "hostmail-helper")
        self.assertEqual(uids(helpers[0])[:2], [0, 0])

        self.send(f"{self.user}@localhost")
        self.send("team@example.org")
        names = self.wait_for_files(2)
        bodies = []
        for name in names:
            path = os.path.join(self.maildir_new, name)
            st = os.stat(path)
            self.assertEqual(st.st_uid, self.uid)
            self.assertEqual(st.st_mode & 0o777, 0o600)
            with open(path, "rb") as f:
                bodies.append(f.read())
        maildir = os.stat(os.path.join(self.home, "Maildir"))
        self.assertEqual(maildir.st_uid, self.uid)
        delivered_to = sorted(re.search(rb"(?m)^Delivered-To: (.*)$", b).group(1) for b in bodies)
        self.assertEqual(delivered_to, sorted([f"{self.user}@localhost".encode(),
                                               b"team@example.org"]))
        for body in bodies:
            self.assertTrue(body.startswith(b"Return-Path: <sender@elsewhere.example>\n"), body)
            self.assertIn(b"\nhello local user\n", body)
            self.assertNotIn(b"\r\n", body)
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_procmail_as_mailbox_command(self):
        procmail = shutil.which("procmail")
        self.assertIsNotNone(procmail, "procmail is not installed (scripts/setup-deps.sh does)")
        self.configure(mailbox_command=procmail)
        # Procmail files into a Maildir of its own, one that the built-in
        # delivery never writes: mail there was delivered by the command.
        rc = os.path.join(self.home, ".procmailrc")
        with open(rc, "w") as f:
            f.write("MAILDIR=$HOME/procmailed/\nDEFAULT=$HOME/procmailed/\n")
        os.chown(rc, self.uid, pwd.getpwnam(self.user).pw_gid)
        os.chmod(rc, 0o644)
        self.start_as_root()

        self.send(f"{self.user}@localhost")
        self.maildir_new = os.path.join(self.home, "procmailed", "new")
        names = self.wait_for_files(1)
        path = os.path.join(self.maildir_new, names[0])
        self.assertEqual(os.stat(path).st_uid, self.uid)
        with open(path, "rb") as f:
            body = f.read()
        self.assertIn(b"Subject: local delivery", body)
        self.assertIn(b"hello local user", body)
        self.assertIn(f"Delivered-To: {self.user}@localhost".encode(), body)
        self.assertFalse(os.path.exists(os.path.join(self.home, "Maildir")),
                         "the built-in delivery wrote ~/Maildir")
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_unknown_local_user_is_refused_and_root_is_never_delivered_to(self):
        # Issue 11.2: system accounts (root, daemon: uid below
        # first_valid_uid) never receive mail themselves, neither by name in
        # a local domain nor through an alias (which only the superuser may
        # make): such recipients are refused at RCPT, so nothing is accepted
        # that could only bounce, and nothing reaches the root helper.
        self.configure()
        self.ok("alias", "add", "boss@example.org", "root")
        self.ok("alias", "add", "svc@example.org", "daemon")
        self.start_as_root()
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            s.ehlo()
            self.assertEqual(s.mail("a@elsewhere.example")[0], 250)
            for rcpt in ("nosuchuser-zz@localhost", "root@localhost", "daemon@localhost",
                         "boss@example.org", "svc@example.org"):
                self.assertEqual(s.rcpt(rcpt)[0], 550, rcpt)
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])
        self.assertNotIn("delivered", self.server_log())
        self.assertFalse(os.path.exists("/root/Maildir/new") and any(
            "elsewhere" in open(os.path.join("/root/Maildir/new", n), errors="replace").read()
            for n in os.listdir("/root/Maildir/new")))

    def test_hostmail_deliver_as_root_reaches_a_local_user_through_the_helper(self):
        # `hostmail deliver` as root runs as vmail, as `serve` does, and
        # reaches local users through its own privileged helper.
        self.configure()
        for folder in ("", "state", "vmail", "vmail/domains"):
            shutil.chown(os.path.join(self.dir, folder), VMAIL_USER, VMAIL_GROUP)
        shutil.chown(os.path.join(self.dir, "state", "directory.db"), VMAIL_USER, VMAIL_GROUP)
        r = self.run_hm("deliver", "--recipient", "team@example.org", "--sender",
                        "lda@elsewhere.example", stdin="Subject: lda\n\nvia deliver\n")
        self.assertEqual(r.code, 0, r)
        names = self.wait_for_files(1)
        path = os.path.join(self.maildir_new, names[0])
        self.assertEqual(os.stat(path).st_uid, self.uid)
        with open(path, "rb") as f:
            self.assertTrue(f.read().endswith(b"Subject: lda\n\nvia deliver\n"))

    def test_a_slow_mailbox_command_holds_up_no_other_delivery(self):
        # As in the review: a mailbox command that never finishes in time,
        # 18 messages for the local user at once, then one for a virtual
        # account. 16 delivery threads once queued behind one helper call.
        timeout = scaled(3)
        self.configure(mailbox_command="/bin/sleep %d" % (10 * timeout), delivery_timeout_s=timeout)
        self.ok("account", "add", "v@example.org", "--password-stdin", stdin="pw\n")
        self.start_as_root()

        results = []

        def send_local():
            started = time.time()
            try:
                with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=scaled(20)) as s:
                    refused = s.sendmail("sender@elsewhere.example", [f"{self.user}@localhost"],
                                         MESSAGE)
                results.append((refused, time.time() - started))
            except Exception as e:  # noqa: BLE001 - reported below
                results.append((e, time.time() - started))

        threads = [threading.Thread(target=send_local) for _ in range(18)]
        for t in threads:
            t.start()
        time.sleep(1)  # the local deliveries are under way
        started = time.time()
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=10) as s:
            self.assertEqual(s.sendmail("sender@elsewhere.example", ["v@example.org"], MESSAGE),
                             {})
        # Not held by any local delivery (each may take `timeout` s before
        # it stops).
        self.assertLess(time.time() - started, timeout - 0.5, self.server_log())
        self.delivered("example.org/v", 1)
        for t in threads:
            t.join(scaled(30))
        # Every local message was accepted (250) within the time limit and
        # waits in the queue: stopped at 3 s, or queued at once while eight
        # others were in progress. None is lost.
        self.assertEqual(len(results), 18)
        for outcome, took in results:
            self.assertEqual(outcome, {}, self.server_log())
            self.assertLess(took, timeout + 10 * TIME_FACTOR)
        queued = self.ok("queue", "list", "--json").json()
        self.assertEqual(len(queued), 18, queued)
        errors = set()
        for entry in queued:
            self.assertEqual((entry["recipient"], entry["state"]), (self.user, "deferred"))
            errors.add("stopped" if "longer than %d s" % timeout in entry["last_error"] else
                       "busy" if "in progress already" in entry["last_error"] else
                       entry["last_error"])
        self.assertEqual(errors, {"stopped", "busy"})
        self.assertFalse(os.path.isdir(self.maildir_new) and os.listdir(self.maildir_new))


if __name__ == "__main__":
    unittest.main()
