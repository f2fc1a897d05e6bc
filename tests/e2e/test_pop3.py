"""POP3 end to end: the real daemon (Maildir store, SQLite directory) driven
by clients others wrote: Python's poplib (with STLS and POP3_SSL), curl's
pop3:// and pop3s://, and fetchmail; IMAP (imaplib, a raw socket) looks at
the same INBOX to see what POP3 did to it."""

import os
import re
import socket
import subprocess
import time
import poplib

from hostmail_env import needs_tools, scaled
from test_imap import ImapTestCase, unverified_tls


class Pop3TestCase(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def pop(self, user="john@example.org", password="pw"):
        p = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=scaled(30))
        self.addCleanup(self.quietly_close, p)
        p.user(user)
        p.pass_(password)
        return p

    @staticmethod
    def quietly_close(p):
        try:
            p.close()
        except OSError:
            pass

    def uidls(self, p):
        return [line.decode().split(" ", 1)[1] for line in p.uidl()[1]]

    def inbox_flags(self):
        """{uid: flags text} of john's INBOX, over IMAP."""
        m = self.imap()
        m.select("INBOX", readonly=True)
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        self.assertEqual(typ, "OK")
        out = {}
        for item in data:
            if not item:
                continue
            text = item.decode() if isinstance(item, bytes) else item[0].decode()
            got = re.search(r"UID (\d+) FLAGS \(([^)]*)\)", text)
            if got:
                out[int(got.group(1))] = got.group(2)
        m.logout()
        return out


class Pop3Basics(Pop3TestCase):
    def test_stat_list_retr_and_seen_over_imap(self):
        self.deliver("john@example.org", "first", "One.\r\n.dot line\r\n")
        self.deliver("john@example.org", "second")
        p = self.pop()
        count, size = p.stat()
        self.assertEqual(count, 2)
        sizes = [int(line.split()[1]) for line in p.list()[1]]
        self.assertEqual(sum(sizes), size)
        resp, lines, octets = p.retr(1)
        self.assertTrue(resp.startswith(b"+OK"))
        self.assertIn(b"Subject: first", lines)
        self.assertIn(b".dot line", lines)  # poplib undoes the stuffing
        resp, lines, _ = p.top(2, 0)
        self.assertIn(b"Subject: second", lines)
        self.assertNotIn(b"Hello.", lines)
        p.quit()
        flags = self.inbox_flags()
        self.assertIn("\\Seen", flags[1])
        self.assertNotIn("\\Seen", flags[2])  # TOP does not set it

    def test_uidl_is_uid_and_uidvalidity_and_survives_flags_and_a_restart(self):
        self.deliver("john@example.org", "a")
        self.deliver("john@example.org", "b")
        p = self.pop()
        before = self.uidls(p)
        p.quit()
        m = self.imap()
        m.select("INBOX")
        typ, data = m.response("UIDVALIDITY")
        validity = int(data[0])
        self.assertEqual(before, ["%08X%08X" % (1, validity), "%08X%08X" % (2, validity)])
        m.uid("STORE", "1:2", "+FLAGS", "(\\Flagged $Label1)")
        m.logout()
        p = self.pop()
        self.assertEqual(self.uidls(p), before)
        p.quit()
        self.stop_server()
        self.start_server()
        p = self.pop()
        self.assertEqual(self.uidls(p), before)
        p.quit()

    def test_a_connection_killed_before_quit_deletes_nothing(self):
        self.deliver("john@example.org", "keep me")
        sock = socket.create_connection(("127.0.0.1", self.ports["pop3"]), timeout=scaled(20))
        f = sock.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        sock.sendall(b"USER john@example.org\r\nPASS pw\r\nDELE 1\r\n")
        for _ in range(3):
            self.assertTrue(f.readline().startswith(b"+OK"))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # a reset, no QUIT
        time.sleep(0.3)
        p = self.pop()
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        self.assertNotIn("\\Deleted", self.inbox_flags()[1])

    def test_dele_quit_is_seen_as_expunge_by_an_imap_session(self):
        for s in ("one", "two", "three"):
            self.deliver("john@example.org", s)
        imap = self.raw()
        imap.cmd("LOGIN john@example.org pw")
        _, tagged = imap.cmd("SELECT INBOX")
        self.assertIn("OK", tagged)
        # A message the user flagged \Deleted over IMAP and did not DELE
        # over POP3 stays.
        _, tagged = imap.cmd("UID STORE 3 +FLAGS.SILENT (\\Deleted)")
        self.assertIn("OK", tagged)
        p = self.pop()
        p.dele(1)
        p.dele(2)
        self.assertTrue(p.quit().startswith(b"+OK"))
        untagged, tagged = imap.cmd("NOOP")
        self.assertIn("OK", tagged)
        # Messages 1 and 2 gone (in whichever order the server numbers them).
        self.assertIn(sorted(l for l in untagged if "EXPUNGE" in l),
                      (["* 1 EXPUNGE", "* 1 EXPUNGE"], ["* 1 EXPUNGE", "* 2 EXPUNGE"]))
        self.assertEqual(list(self.inbox_flags()), [3])

    def test_stls_and_pop3s(self):
        p = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=scaled(30))
        self.addCleanup(self.quietly_close, p)
        self.assertIn("STLS", p.capa())
        p.stls(context=unverified_tls())
        self.assertNotIn("STLS", p.capa())
        p.user("john@example.org")
        self.assertTrue(p.pass_("pw").startswith(b"+OK"))
        p.quit()
        s = poplib.POP3_SSL("127.0.0.1", self.ports["pop3s"], context=unverified_tls(),
                            timeout=scaled(30))
        self.addCleanup(self.quietly_close, s)
        self.assertNotIn("STLS", s.capa())
        s.user("john@example.org")
        self.assertTrue(s.pass_("pw").startswith(b"+OK"))
        s.quit()

    def test_a_wrong_password_says_auth(self):
        # (An account whose POP3 switch is off gets the same answer: the
        # transcript tests/data/pop3_session/login.txt.)
        for user, password in (("john@example.org", "wrong"), ("nobody@example.org", "pw")):
            p = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=scaled(30))
            self.addCleanup(self.quietly_close, p)
            p.user(user)
            with self.assertRaises(poplib.error_proto) as e:
                p.pass_(password)
            self.assertEqual(e.exception.args[0], b"-ERR [AUTH] Authentication failed")


@needs_tools("curl")
class Pop3Curl(Pop3TestCase):
    def curl(self, url, *extra):
        r = subprocess.run(["curl", "-sS", "--max-time", str(int(scaled(30))), "-u",
                            "john@example.org:pw", "-k", *extra, url],
                           capture_output=True, timeout=scaled(60))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_list_and_retr(self):
        self.deliver("john@example.org", "for curl", "Fetched by curl.\r\n")
        for scheme, port in (("pop3", self.ports["pop3"]), ("pop3s", self.ports["pop3s"])):
            listed = self.curl("%s://127.0.0.1:%d/" % (scheme, port))
            self.assertRegex(listed, rb"^1 \d+\r\n$")
            message = self.curl("%s://127.0.0.1:%d/1" % (scheme, port))
            self.assertIn(b"Subject: for curl", message)
            self.assertIn(b"Fetched by curl.", message)
        # STLS required by the client on the plain port.
        message = self.curl("pop3://127.0.0.1:%d/1" % self.ports["pop3"], "--ssl-reqd")
        self.assertIn(b"Fetched by curl.", message)


@needs_tools("fetchmail")
class Pop3Fetchmail(Pop3TestCase):
    def fetch(self, keep):
        out = os.path.join(self.dir, "fetched.mbox")
        rc = os.path.join(self.dir, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 service %d protocol pop3 auth password\n'
                    '  user "john@example.org" there with password "pw" is "tester" here\n'
                    '  %s no sslcertck sslproto ""\n'
                    '  mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (self.ports["pop3"], "keep" if keep else "nokeep", out))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=self.dir, FETCHMAILHOME=self.dir)
        r = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--idfile",
                            os.path.join(self.dir, "fetchids"), "-v"],
                           capture_output=True, timeout=scaled(120), env=env)
        self.assertIn(r.returncode, (0, 1), r)  # 1: no mail
        with open(out, "rb") if os.path.exists(out) else open(os.devnull, "rb") as f:
            return f.read(), r

    def test_fetch_with_keep_then_without(self):
        self.deliver("john@example.org", "fetched one")
        self.deliver("john@example.org", "fetched two")
        text, r = self.fetch(keep=True)
        self.assertEqual(text.count(b"Subject: fetched"), 2, r)
        p = self.pop()
        self.assertEqual(p.stat()[0], 2)  # --keep left them
        p.quit()
        os.remove(os.path.join(self.dir, "fetched.mbox"))
        # A fresh fetchmail, which has not seen these UIDLs, fetches and
        # deletes them.
        if os.path.exists(os.path.join(self.dir, "fetchids")):
            os.remove(os.path.join(self.dir, "fetchids"))
        text, r = self.fetch(keep=False)
        self.assertEqual(text.count(b"Subject: fetched"), 2, r)
        p = self.pop()
        self.assertEqual(p.stat()[0], 0)
        p.quit()
