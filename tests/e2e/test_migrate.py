"""Migration in place from Courier-IMAP and Dovecot. Courier: a Maildir++
tree in Courier's layout (built here: courierimapuiddb, courierimapkeywords/,
courierimapsubscribed, courierimapacl). Dovecot: a real Dovecot, run
privately on loopback, writes the tree through IMAP first. Then the real
daemon serves it over imaplib: clients must see the same UIDVALIDITY, UIDs,
flags, keywords and subscriptions, and the old server's files must be left
as they were. (POP3 UIDLs are not compared yet: see docs/store-format.md.)"""

import imaplib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from hostmail_env import (VMAIL_GROUP, VMAIL_USER, HostmailTestCase, free_port, needs_root,
                          scaled)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def maildir(path):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)


def vmail_owner():
    import grp
    import pwd
    return pwd.getpwnam(VMAIL_USER).pw_uid, grp.getgrnam(VMAIL_GROUP).gr_gid


def chown_tree(top, owner):
    for folder, dirs, files in os.walk(top):
        for n in [folder] + [os.path.join(folder, x) for x in dirs + files]:
            os.chown(n, *owner)


MSG = "From: a@example.net\nSubject: %s\n\nbody\n"

# Courier's files, as Courier wrote them; compared after hostmail ran.
INBOX_UIDDB = ("1 1500000000 10\n"
               "3 1400000001.M1P1.courier\n"
               "5 1400000002.M1P1.courier\n"
               "7 1400000009.M1P1.courier\n")  # expunged meanwhile: dropped
INBOX_KEYWORDS = "$Label1\nProject\n\n1400000002.M1P1.courier:0 1\n"
WORK_UIDDB = "1 1500000100 3\n2 1400000005.M1P1.courier\n"
SUBSCRIBED = "INBOX\nINBOX.Work\n"


class CourierTree(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin="pw\n")
        self.set_option("imap", "namespace", '"courier"')
        root = os.path.join(self.maildirs, "example.org", "john")
        self.root = root
        maildir(root)
        write(os.path.join(root, "cur", "1400000001.M1P1.courier:2,S"), MSG % "one")
        write(os.path.join(root, "new", "1400000002.M1P1.courier"), MSG % "two")
        write(os.path.join(root, "new", "1400000003.M1P1.courier"), MSG % "three")
        write(os.path.join(root, "courierimapuiddb"), INBOX_UIDDB)
        write(os.path.join(root, "courierimapkeywords", ":list"), INBOX_KEYWORDS)
        write(os.path.join(root, "courierimapsubscribed"), SUBSCRIBED)
        work = os.path.join(root, ".Work")
        maildir(work)
        write(os.path.join(work, "maildirfolder"), "")
        write(os.path.join(work, "cur", "1400000005.M1P1.courier:2,FS"), MSG % "work")
        write(os.path.join(work, "courierimapuiddb"), WORK_UIDDB)
        write(os.path.join(work, "courierimapacl"), "owner aceilrstwx\n")
        maildir(os.path.join(root, ".Old"))
        if os.geteuid() == 0:
            # The daemon reads the tree as the virtual mail user.
            chown_tree(self.maildirs, vmail_owner())

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(m.logout)
        m.login("john@example.org", "pw")
        return m

    def uids_and_flags(self, m):
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        self.assertEqual(typ, "OK", data)
        out = {}
        for line in data:
            if not isinstance(line, bytes):
                continue
            uid = int(re.search(rb"UID (\d+)", line).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split()
            out[uid] = sorted(f.decode() for f in flags if f != b"\\Recent")
        return out

    def test_mailbox_check_reports_without_changing_anything(self):
        r = self.ok("mailbox", "check", "john@example.org", "--json")
        rows = {row["folder"]: row for row in r.json()}
        self.assertEqual(rows["INBOX"], {"folder": "INBOX", "messages": 3,
                                         "uidvalidity": 1500000000, "uidnext": 11,
                                         "source": "courierimapuiddb", "dropped": 1})
        self.assertEqual(rows["Work"]["uidvalidity"], 1500000100)
        self.assertEqual(rows["Work"]["source"], "courierimapuiddb")
        self.assertEqual(rows["Old"]["source"], "new")
        self.assertIsNone(rows["Old"]["uidvalidity"])
        self.assertFalse(os.path.exists(os.path.join(self.root, "hostmail-uidlist")))
        self.assertTrue(os.path.exists(
            os.path.join(self.root, "new", "1400000002.M1P1.courier")))
        text = self.ok("mailbox", "check", "john@example.org")
        self.assertIn("courierimapuiddb", text.out)
        self.fails(67, "mailbox", "check", "nobody@example.org")  # EX_NOUSER

    def test_courier_uids_flags_keywords_and_subscriptions(self):
        self.start_server()
        m = self.imap()
        typ, _ = m.select("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses["UIDVALIDITY"][-1], b"1500000000")
        # Courier's UIDs kept; the message Courier never saw gets UID 10
        # (its next UID), although it was delivered before the others.
        self.assertEqual(self.uids_and_flags(m), {
            3: ["\\Seen"],
            5: ["$Label1", "Project"],
            10: [],
        })
        typ, data = m.status("INBOX", "(UIDNEXT)")
        self.assertIn(b"UIDNEXT 11", data[0])

        typ, _ = m.select("INBOX.Work")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses["UIDVALIDITY"][-1], b"1500000100")
        self.assertEqual(self.uids_and_flags(m), {2: ["\\Flagged", "\\Seen"]})

        # Courier's subscriptions, under the same (courier) names.
        typ, data = m.lsub('""', "*")
        subscribed = {re.search(rb'"\." "?([^"]*)"?$', line).group(1).decode()
                      for line in data if line}
        self.assertIn("INBOX", subscribed)
        self.assertIn("INBOX.Work", subscribed)
        self.assertNotIn("INBOX.Old", subscribed)

        # Nothing of Courier's changed: a switch back finds its state.
        for path, text in (("courierimapuiddb", INBOX_UIDDB),
                           ("courierimapkeywords/:list", INBOX_KEYWORDS),
                           ("courierimapsubscribed", SUBSCRIBED),
                           (".Work/courierimapuiddb", WORK_UIDDB)):
            with open(os.path.join(self.root, path)) as f:
                self.assertEqual(f.read(), text, path)
        log = self.server_log()
        self.assertIn("1400000009.M1P1.courier", log)  # the dropped entry, named
        self.assertIn("courierimapacl", log)


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = {dir}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def folder_state(test, m, folder):
    """UIDVALIDITY and {uid: sorted flags without \\Recent} of `folder`."""
    typ, _ = m.select(folder)
    test.assertEqual(typ, "OK", folder)
    validity = int(m.untagged_responses["UIDVALIDITY"][-1])
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    out = {}
    for line in data:
        if not isinstance(line, bytes):
            continue
        uid = int(re.search(rb"UID (\d+)", line).group(1))
        flags = re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split()
        out[uid] = sorted(f.decode() for f in flags if f != b"\\Recent")
    return validity, out


def subscribed(m):
    typ, data = m.lsub('""', "*")
    return {re.search(rb' "?([^" ]*)"?$', line).group(1).decode() for line in data if line}


@needs_root("Dovecot's userdb gives the mail to the vmail user")
@unittest.skipUnless(shutil.which("dovecot"), "needs dovecot-imapd (Debian)")
class DovecotTree(HostmailTestCase):
    """A real Dovecot writes the tree; hostmail then serves it: the same
    UIDVALIDITY, UIDs, flags, keywords and subscriptions, message by message."""

    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin="pw\n")
        self.root = os.path.join(self.maildirs, "example.org", "john")
        maildir(self.root)
        self.owner = vmail_owner()
        chown_tree(self.maildirs, self.owner)
        self.dc = os.path.join(self.dir, "dovecot")
        for sub in ("run", "state"):
            os.makedirs(os.path.join(self.dc, sub))
        with open(os.path.join(self.dc, "passwd"), "w") as f:
            f.write("john@example.org:pw:%d:%d::%s::\n" % (self.owner + (self.root,)))
        self.dc_port = free_port()
        with open(os.path.join(self.dc, "dovecot.conf"), "w") as f:
            f.write(DOVECOT_CONF.format(dir=self.dc, port=self.dc_port))

    def run_dovecot(self, work):
        proc = subprocess.Popen(["dovecot", "-F", "-c", os.path.join(self.dc, "dovecot.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + scaled(20)
            while True:
                try:
                    m = imaplib.IMAP4("127.0.0.1", self.dc_port, timeout=scaled(30))
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.1)
            m.login("john@example.org", "pw")
            result = work(m)
            m.logout()
            return result
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=scaled(30))

    def test_dovecot_uids_flags_keywords_and_subscriptions(self):
        def write_and_read(m):
            for i in range(5):
                typ, _ = m.append("INBOX", None, None, b"Subject: m%d\r\n\r\nx\r\n" % i)
                self.assertEqual(typ, "OK")
            m.create("Work")
            m.create("Old")
            m.subscribe("Work")
            for i in range(2):
                m.append("Work", r"(\Flagged)", None, b"Subject: w%d\r\n\r\nx\r\n" % i)
            m.select("INBOX")
            m.store("1", "+FLAGS", r"(\Seen)")
            m.store("3", "+FLAGS", r"(\Answered $Work)")
            m.store("4", "+FLAGS", r"(\Deleted)")
            m.expunge()
            return {f: folder_state(self, m, f) for f in ("INBOX", "Work", "Old")}, subscribed(m)

        before, subs_before = self.run_dovecot(write_and_read)
        self.assertEqual(len(before["INBOX"][1]), 4)
        self.assertTrue(os.path.exists(os.path.join(self.root, "dovecot-uidlist")))

        self.start_server()
        m = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=scaled(30))
        self.addCleanup(m.logout)
        m.login("john@example.org", "pw")
        after = {f: folder_state(self, m, f) for f in ("INBOX", "Work", "Old")}
        self.assertEqual(after, before)
        # Dovecot's subscriptions kept (hostmail adds its default folders).
        self.assertLessEqual(subs_before, subscribed(m))
        self.assertIn("Work", subs_before)


if __name__ == "__main__":
    unittest.main()
