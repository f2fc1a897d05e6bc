"""IMAP end to end: the real daemon (Maildir store, SQLite directory) driven
by clients others wrote: Python's imaplib, curl and mbsync (Debian isync),
plus a raw socket where a client library hides what is tested (IDLE, hostile
mailbox names, LOGINDISABLED)."""

import hashlib
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from hostmail_env import HostmailTestCase, needs_tools, scaled


def unverified_tls():
    # The starter configuration's certificate is self-signed.
    return ssl._create_unverified_context()


class Raw:
    """A line-level IMAP client: sends exactly what a test says, returns the
    server's lines up to the tagged response."""

    def __init__(self, port, tls=False):
        sock = socket.create_connection(("127.0.0.1", port), timeout=scaled(20))
        if tls:
            sock = unverified_tls().wrap_socket(sock)
        self.sock = sock
        self.file = sock.makefile("rb")
        self.greeting = self.line()
        self.n = 0

    def line(self):
        data = self.file.readline()
        if not data:
            raise EOFError("server closed the connection")
        return data.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, text, literal=None):
        """Sends `TAG text` (with `literal`, a synchronizing literal after
        it, waiting for the continuation) and returns (untagged lines,
        tagged line)."""
        self.n += 1
        tag = "t%d" % self.n
        if literal is None:
            self.send("%s %s\r\n" % (tag, text))
        else:
            self.send(b"%s %s {%d}\r\n" % (tag.encode(), text.encode(), len(literal)))
            first = self.line()
            if not first.startswith("+"):
                return [], first
            self.send(literal + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            if line.startswith(tag + " "):
                return lines, line
            lines.append(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ImapTestCase(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")
        self.ok("domain", "add", "other.example")
        for a in ("john@example.org", "mary@example.org", "boss@other.example"):
            self.ok("account", "add", a, "--password-stdin", stdin="pw\n")

    def deliver(self, to, subject, body="Hello.\r\n"):
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=scaled(30)) as s:
            s.sendmail("sender@elsewhere.example", [to],
                       "From: sender@elsewhere.example\r\nTo: %s\r\nSubject: %s\r\n\r\n%s"
                       % (to, subject, body))

    def imap(self, user="john@example.org", password="pw"):
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(self.quietly_logout, m)
        m.login(user, password)
        return m

    @staticmethod
    def quietly_logout(m):
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            pass

    def raw(self, tls=False, port=None):
        r = Raw(port or self.ports["imaps" if tls else "imap"], tls)
        self.addCleanup(r.close)
        return r

    def tree(self, top):
        """Every file and folder below `top` with a digest of each file's
        content: what must not change."""
        out = {}
        for folder, dirs, files in os.walk(top):
            for d in dirs:
                out[os.path.join(folder, d)] = "dir"
            for f in files:
                p = os.path.join(folder, f)
                if os.path.islink(p):
                    out[p] = "link"
                    continue
                with open(p, "rb") as fh:
                    out[p] = hashlib.sha256(fh.read()).hexdigest()
        return out


class ImapBasics(ImapTestCase):
    def setUp(self):
        super().setUp()
        # The hostile names test makes hundreds of refused commands.
        self.set_option("imap", "errors_per_session", "100000")
        self.start_server()

    def test_login_list_select_fetch(self):
        self.deliver("john@example.org", "first")
        m = self.imap()
        typ, lines = m.list()
        self.assertEqual(typ, "OK")
        listed = b"\n".join(lines)
        # A new account gets the special-use folders.
        for name, use in (("Sent", b"\\Sent"), ("Drafts", b"\\Drafts"), ("Trash", b"\\Trash"),
                          ("Junk", b"\\Junk"), ("Archive", b"\\Archive")):
            self.assertRegex(listed, rb'\(.*%s.*\) "/" %s' % (re.escape(use), name.encode()))
        self.assertIn(b'"/" INBOX', listed)
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = m.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Subject: first", data[0][1])
        self.assertEqual(data[1][1], b"Hello.\r\n")
        # BODY[] without PEEK sets \Seen, and the FETCH says so.
        typ, data = m.fetch("1", "(BODY[TEXT])")
        self.assertIn(b"\\Seen", data[0][0] + data[1])
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])

    def test_append_store_search_copy_move_expunge(self):
        m = self.imap()
        for i in range(3):
            typ, data = m.append("INBOX", r"(\Draft)", None,
                                 b"Subject: note %d\r\n\r\nText %d\r\n" % (i, i))
            self.assertEqual(typ, "OK")
            self.assertRegex(data[0], rb"\[APPENDUID \d+ %d\]" % (i + 1))
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", '"note 1"')
        self.assertEqual(data, [b"2"])
        typ, data = m.store("2", "+FLAGS", r"(\Flagged $Work)")
        self.assertIn(b"\\Flagged", data[0])
        self.assertIn(b"$Work", data[0])
        typ, data = m.uid("SEARCH", "KEYWORD", "$Work")
        self.assertEqual(data, [b"2"])
        typ, data = m.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(m.untagged_responses.get("COPYUID", [b""])[-1] or b"",
                         rb"\d+ 1:2 1:2")
        typ, data = m._simple_command("UID", "MOVE", "3", "Trash")
        self.assertEqual(typ, "OK")
        typ, data = m.store("1", "+FLAGS", r"(\Deleted)")
        m.untagged_responses.pop("EXPUNGE", None)  # the MOVE's
        typ, data = m.expunge()
        self.assertEqual(data, [b"1"])
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1"])  # the flagged one, renumbered
        typ, data = m.status("Archive", "(MESSAGES UIDNEXT)")
        self.assertIn(b"MESSAGES 2 UIDNEXT 3", data[0])
        typ, data = m.status("Trash", "(MESSAGES)")
        self.assertIn(b"MESSAGES 1", data[0])
        # The store keeps what IMAP set, on disk as Maildir flags.
        typ, data = m.select("Archive")
        typ, data = m.fetch("1:2", "(FLAGS)")
        self.assertIn(b"\\Flagged", data[1])
        # A missing mailbox: [TRYCREATE].
        typ, data = m.append("Nowhere", None, None, b"Subject: x\r\n\r\nx\r\n")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])

    def test_wrong_password(self):
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(self.quietly_logout, m)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login("john@example.org", "wrong")
        self.assertIn("[AUTHENTICATIONFAILED]", str(e.exception))

    def test_authenticate_plain_with_initial_response(self):
        r = self.raw()
        import base64
        ir = base64.b64encode(b"\0john@example.org\0pw").decode()
        lines, tagged = r.cmd("AUTHENTICATE PLAIN " + ir)
        self.assertRegex(tagged, r"^t1 OK \[CAPABILITY IMAP4rev1 .*\] Logged in$")
        lines, tagged = r.cmd("SELECT INBOX")
        self.assertIn("OK [READ-WRITE]", tagged)

    def test_idle_sees_other_sessions(self):
        watcher = self.raw()
        watcher.cmd("LOGIN john@example.org pw")
        watcher.cmd("SELECT INBOX")
        watcher.send("w1 IDLE\r\n")
        self.assertTrue(watcher.line().startswith("+ "))
        other = self.imap()
        other.append("INBOX", None, None, b"Subject: new\r\n\r\nx\r\n")

        def expect(pattern):
            deadline = time.time() + scaled(5)
            seen = []
            while time.time() < deadline:
                line = watcher.line()
                seen.append(line)
                if re.match(pattern, line):
                    return time.time()
            self.fail("no %r in %r" % (pattern, seen))

        start = time.time()
        expect(r"^\* 1 EXISTS$")
        self.assertLess(time.time() - start, scaled(3))  # polled every second
        other.select("INBOX")
        other.store("1", "+FLAGS", r"(\Flagged)")
        expect(r"^\* 1 FETCH \(UID 1 FLAGS \(.*\\Flagged.*\)\)$")
        self.deliver("john@example.org", "by smtp")
        expect(r"^\* 2 EXISTS$")
        other.store("1", "+FLAGS", r"(\Deleted)")
        other.expunge()
        expect(r"^\* 1 EXPUNGE$")
        watcher.send("DONE\r\n")
        lines, tagged = watcher.until("w1")
        self.assertEqual(tagged, "w1 OK IDLE terminated")

    def test_qresync_reconnect_learns_exactly_the_changes(self):
        """A client that comes back with its UIDVALIDITY and last MODSEQ
        (RFC 7162 QRESYNC) hears exactly what vanished and what changed
        while it was away, from the Maildir store's records."""
        m = self.imap()
        for i in range(5):
            m.append("INBOX", None, None, b"Subject: %d\r\n\r\nx\r\n" % i)
        r = self.raw()
        r.cmd("LOGIN john@example.org pw")
        r.cmd("ENABLE QRESYNC")
        lines, tagged = r.cmd("SELECT INBOX")
        validity = next(re.search(r"UIDVALIDITY (\d+)", l).group(1) for l in lines
                        if "UIDVALIDITY" in l)
        modseq = next(re.search(r"HIGHESTMODSEQ (\d+)", l).group(1) for l in lines
                      if "HIGHESTMODSEQ" in l)
        r.cmd("LOGOUT")
        # While it is away: two messages go, one gets a flag.
        m.select("INBOX")
        m.store("2,4", "+FLAGS", r"(\Deleted)")
        m.expunge()
        m.uid("STORE", "5", "+FLAGS", r"(\Flagged)")
        back = self.raw()
        back.cmd("LOGIN john@example.org pw")
        back.cmd("ENABLE QRESYNC")
        lines, tagged = back.cmd("SELECT INBOX (QRESYNC (%s %s 1:5))" % (validity, modseq))
        self.assertIn("OK [READ-WRITE]", tagged)
        self.assertIn("* VANISHED (EARLIER) 2,4", lines)
        fetches = [l for l in lines if " FETCH " in l]
        self.assertEqual(len(fetches), 1, lines)
        self.assertRegex(fetches[0], r"^\* 3 FETCH \(UID 5 FLAGS \(.*\\Flagged.*\) MODSEQ \(\d+\)\)$")
        # And an expunge by another session now arrives as VANISHED.
        m.store("1", "+FLAGS", r"(\Deleted)")
        m.expunge()
        lines, tagged = back.cmd("NOOP")
        self.assertIn("* VANISHED 1", lines)

    def test_starttls_and_imaps(self):
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(self.quietly_logout, m)
        self.assertIn("STARTTLS", m.capabilities)
        m.starttls(ssl_context=unverified_tls())
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertEqual(m.login("john@example.org", "pw")[0], "OK")
        s = imaplib.IMAP4_SSL("127.0.0.1", self.ports["imaps"], ssl_context=unverified_tls(),
                              timeout=scaled(30))
        self.addCleanup(self.quietly_logout, s)
        self.assertNotIn("STARTTLS", s.capabilities)
        self.assertEqual(s.login("john@example.org", "pw")[0], "OK")

    def test_hostile_mailbox_names(self):
        """No name reaches outside the account's Maildir: every command that
        takes a mailbox, with names that try, is refused and changes nothing
        but (at most) the account's own folder."""
        self.deliver("mary@example.org", "mary's")
        self.deliver("boss@other.example", "boss's")
        self.deliver("john@example.org", "john's")
        r = self.raw()
        r.cmd("LOGIN john@example.org pw")
        r.cmd("SELECT INBOX")  # john's Maildir exists, its special folders too
        before = self.tree(os.path.join(self.dir, "vmail"))
        john = os.path.join(self.maildirs, "example.org", "john") + os.sep
        names = [
            b"..", b"../mary", b"../../other.example/boss", b"INBOX/../x", b"a/../../b",
            b"/etc", b"/", b"a//b", b"~", b"~root", b"a/~b", b".hidden", b"a.b", b".",
            b"x\x00y", b"x\ty", b"x\x7fy", b"x\ny", b"\x01",
            b"&AC4ALg-", b"&AC8-etc", b"&ACY-", b"&Jjo", b"&,,,-", b"&AGEAYgBj-",
            b"a" * 300, b"/".join([b"d"] * 20), b"&2D0-",
        ]
        commands = ["SELECT %s", "EXAMINE %s", "CREATE %s", "DELETE %s", "RENAME %s Safe",
                    "RENAME Archive %s", "SUBSCRIBE %s", "UNSUBSCRIBE %s", "STATUS %s (MESSAGES)",
                    "APPEND %s", "COPY 1 %s", "MOVE 1 %s", "GETQUOTAROOT %s",
                    "LIST \"\" %s", "LIST %s \"*\"", "LSUB \"\" %s"]
        for name in names:
            for command in commands:
                if command.startswith("SELECT") or command.startswith("EXAMINE") \
                        or command.startswith("COPY") or command.startswith("MOVE"):
                    r.cmd("SELECT INBOX")
                if command == "APPEND %s":
                    r.n += 1
                    tag = "t%d" % r.n
                    r.send(b"%s APPEND {%d+}\r\n%s {11+}\r\nSubject: x\n\r\n"
                           % (tag.encode(), len(name), name))
                    lines, tagged = r.until(tag)
                else:
                    r.n += 1
                    tag = "t%d" % r.n
                    head, _, tail = command.partition("%s")
                    r.send(b"%s %s{%d+}\r\n%s%s\r\n"
                           % (tag.encode(), head.encode(), len(name), name, tail.encode()))
                    lines, tagged = r.until(tag)
                what = "%s with %r" % (command, name)
                if command.startswith("LIST") or command.startswith("LSUB"):
                    # A pattern names nothing: at most the account's own.
                    for line in lines:
                        self.assertNotIn("mary", line, what)
                        self.assertNotIn("boss", line, what)
                    continue
                self.assertRegex(tagged, r"^t\d+ (NO|BAD) ", what)
        after = self.tree(os.path.join(self.dir, "vmail"))
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        outside = sorted(p for p in changed if not p.startswith(john))
        self.assertEqual(outside, [])
        # And within john's Maildir only hostmail's own state moved (no folder
        # was made).
        made = sorted(p for p in set(after) - set(before) if after[p] == "dir")
        self.assertEqual(made, [])
        # The session is still usable.
        lines, tagged = r.cmd("NOOP")
        self.assertIn("OK", tagged)


class ImapLoginPolicy(ImapTestCase):
    def test_logindisabled_until_starttls(self):
        # Every test client is on loopback, where plain-text logins are
        # allowed by default; "never" shows what a remote client sees.
        self.set_option("imap", "login_on_plaintext", '"never"')
        self.start_server()
        r = self.raw()
        self.assertIn("LOGINDISABLED", r.greeting)
        self.assertNotIn("AUTH=PLAIN", r.greeting)
        lines, tagged = r.cmd("LOGIN john@example.org pw")
        self.assertEqual(tagged, "t1 NO [PRIVACYREQUIRED] Use STARTTLS (or the imaps port) "
                                 "before logging in")
        lines, tagged = r.cmd("AUTHENTICATE PLAIN AGpvaG5AZXhhbXBsZS5vcmcAcHc=")
        self.assertIn("NO [PRIVACYREQUIRED]", tagged)
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(self.quietly_logout, m)
        m.starttls(ssl_context=unverified_tls())
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        self.assertEqual(m.login("john@example.org", "pw")[0], "OK")

    def test_courier_namespace(self):
        self.set_option("imap", "namespace", '"courier"')
        self.start_server()
        m = self.imap()
        typ, data = m.namespace()
        self.assertEqual(data, [b'(("INBOX." ".")) NIL NIL'])
        typ, lines = m.list()
        self.assertIn(b'(\\HasNoChildren \\Sent) "." INBOX.Sent', lines)
        self.assertEqual(m.create("INBOX.Lists.hostmail")[0], "OK")
        self.assertEqual(m.create("Lists")[0], "NO")  # outside the prefix
        self.assertTrue(os.path.isdir(os.path.join(self.maildirs, "example.org", "john",
                                                   ".Lists.hostmail")))


@needs_tools("curl")
class ImapCurl(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()

    def curl(self, url, *extra):
        r = subprocess.run(["curl", "-sS", "--max-time", str(int(scaled(30))), "-u",
                            "john@example.org:pw", "-k", *extra, url],
                           capture_output=True, timeout=scaled(60))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_list_and_fetch(self):
        self.deliver("john@example.org", "for curl", "Fetched by curl.\r\n")
        for scheme, port in (("imap", self.ports["imap"]), ("imaps", self.ports["imaps"])):
            listed = self.curl("%s://127.0.0.1:%d/" % (scheme, port))
            self.assertIn(b"Archive", listed)
            self.assertIn(b"INBOX", listed)
            message = self.curl("%s://127.0.0.1:%d/INBOX;UID=1" % (scheme, port))
            self.assertIn(b"Subject: for curl", message)
            self.assertIn(b"Fetched by curl.", message)
        # STARTTLS required by the client on the plain port.
        message = self.curl("imap://127.0.0.1:%d/INBOX;UID=1" % self.ports["imap"], "--ssl-reqd")
        self.assertIn(b"Fetched by curl.", message)


@needs_tools("mbsync")
class ImapMbsync(ImapTestCase):
    def setUp(self):
        super().setUp()
        self.start_server()
        self.local = tempfile.mkdtemp(prefix="hm-mbsync-")
        self.addCleanup(shutil.rmtree, self.local, ignore_errors=True)
        os.makedirs(os.path.join(self.local, "mail"))
        self.rc = os.path.join(self.local, "mbsyncrc")
        with open(self.rc, "w") as f:
            f.write("""IMAPAccount hm
Host 127.0.0.1
Port %d
User john@example.org
Pass pw
SSLType STARTTLS
CertificateFile %s

IMAPStore remote
Account hm

MaildirStore local
Path %s/mail/
Inbox %s/mail/INBOX
SubFolders Verbatim

Channel hm
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""" % (self.ports["imap"], self.certificate(), self.local, self.local))

    def certificate(self):
        with open(self.config) as f:
            text = f.read()
        return re.search(r'(?m)^cert = "(.*)"', text).group(1)

    def mbsync(self):
        r = subprocess.run(["mbsync", "-V", "-c", self.rc, "-a"], capture_output=True,
                           timeout=scaled(120))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return (r.stdout + r.stderr).decode("utf-8", "replace")

    def local_files(self, folder, sub):
        path = os.path.join(self.local, "mail", folder, sub)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def test_sync_both_ways(self):
        self.deliver("john@example.org", "one")
        self.deliver("john@example.org", "two")
        self.mbsync()
        inbox = self.local_files("INBOX", "cur") + self.local_files("INBOX", "new")
        self.assertEqual(len(inbox), 2)
        # Up: flag one message, move the other into Archive locally.
        names = sorted(self.local_files("INBOX", "new"), key=str) + \
            sorted(self.local_files("INBOX", "cur"), key=str)
        first, second = names
        def path_of(name):
            for sub in ("new", "cur"):
                p = os.path.join(self.local, "mail", "INBOX", sub, name)
                if os.path.exists(p):
                    return p
        flagged = path_of(first)
        base = os.path.basename(flagged).split(":2,")[0]
        os.rename(flagged, os.path.join(self.local, "mail", "INBOX", "cur", base + ":2,FS"))
        moved = path_of(second)
        archive = os.path.join(self.local, "mail", "Archive", "cur")
        # mbsync's UIDs live in the file name (,U=n): a moved file drops it.
        new_name = re.sub(r",U=\d+", "", os.path.basename(moved))
        os.rename(moved, os.path.join(archive, new_name))
        self.mbsync()
        m = self.imap()
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(FLAGS)")
        flags = [d for d in data if d]
        self.assertEqual(len(flags), 1, data)
        self.assertIn(b"\\Flagged", flags[0])
        self.assertIn(b"\\Seen", flags[0])
        typ, data = m.status("Archive", "(MESSAGES)")
        self.assertIn(b"MESSAGES 1", data[0])
        # A second sync changes nothing on either side.
        before_local = self.tree(os.path.join(self.local, "mail"))
        before_remote = self.tree(os.path.join(self.maildirs, "example.org", "john"))
        out = self.mbsync()
        self.assertEqual(self.tree(os.path.join(self.local, "mail")), before_local)
        after_remote = self.tree(os.path.join(self.maildirs, "example.org", "john"))
        messages = lambda t: {p: v for p, v in t.items()
                              if re.search(r"/(cur|new)/[^/]+$", p)}
        self.assertEqual(messages(after_remote), messages(before_remote), out)


if __name__ == "__main__":
    unittest.main()
