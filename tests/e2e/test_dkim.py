"""DKIM: `hostmail dkim keygen/show/sign` through the real binary, and the
signatures verified by another implementation, dkimpy (Debian's
python3-dkim), against the DNS record keygen printed (no network)."""

import base64
import json
import os
import re
import stat
import subprocess
import sys
import unittest

from hostmail_env import BIN, HostmailTestCase

EX_CANTCREAT, EX_NOPERM, EX_DATAERR = 73, 77, 65
HERE = os.path.dirname(os.path.abspath(__file__))


def dkim_python():
    """An interpreter that has dkimpy and PyNaCl (for Ed25519): Debian's
    python3-dkim installs into Debian's python3, which need not be the
    python3 first on PATH."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        try:
            r = subprocess.run([candidate, "-c", "import dkim, nacl"], capture_output=True)
        except OSError:
            continue
        if r.returncode == 0:
            return candidate
    return None


def txt_of(record):
    """The TXT text of a zone-file record line, its strings joined."""
    return "".join(re.findall(r'"([^"]*)"', record))


MESSAGES = {
    "plain": (b"From: Alice <alice@example.org>\r\n"
              b"To: Bob <bob@example.net>\r\n"
              b"Subject: Lunch\r\n"
              b"Date: Thu, 03 Dec 2026 12:00:00 +0000\r\n"
              b"Message-ID: <plain.1@example.org>\r\n"
              b"\r\n"
              b"Shall we meet at noon?\r\n"),
    "multipart": (b"From: alice@example.org\r\n"
                  b"To: bob@example.net, carol@example.net\r\n"
                  b"Cc: dave@example.net\r\n"
                  b"Subject: Report\r\n"
                  b"MIME-Version: 1.0\r\n"
                  b"Content-Type: multipart/mixed;\r\n\tboundary=\"b1\"\r\n"
                  b"\r\n"
                  b"--b1\r\n"
                  b"Content-Type: text/plain; charset=us-ascii\r\n"
                  b"\r\n"
                  b"See the attachment.   \r\n"
                  b"--b1\r\n"
                  b"Content-Type: application/octet-stream\r\n"
                  b"Content-Transfer-Encoding: base64\r\n"
                  b"\r\n" + base64.encodebytes(bytes(range(256)) * 8).replace(b"\n", b"\r\n") +
                  b"--b1--\r\n"),
    "8bit": ("From: Jörg <joerg@example.org>\r\n"
             "To: zoë@example.net\r\n"
             "Subject: Grüße aus Köln\r\n"
             "MIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n"
             "\r\n"
             "Schöne Grüße,\t\tund  bis bald.\r\n"
             "— Jörg\r\n").encode("utf-8"),
    "long-lines": (b"From: alice@example.org\r\n"
                   b"To: " + b",\r\n    ".join(b"user%d@example.net" % i for i in range(60)) +
                   b"\r\n"
                   b"Subject: " + b"very long subject " * 20 + b"\r\n"
                   b"References: " + b" ".join(b"<%d@example.org>" % i for i in range(40)) +
                   b"\r\n"
                   b"\r\n" + b"x" * 5000 + b"\r\n" + b"word " * 2000 + b"\r\n"),
    "empty-body": (b"From: alice@example.org\r\n"
                   b"To: bob@example.net\r\n"
                   b"Subject: (no text)\r\n"
                   b"\r\n"),
    "blank-lines-and-space": (b"From: alice@example.org\r\n"
                              b"Subject:   spaced    out  \r\n"
                              b"\r\n"
                              b"a  b\t c   \r\n"
                              b"\r\n"
                              b"\r\n"
                              b"  \r\n"
                              b"\r\n"),
}


class DkimCase(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.key_dir = os.path.join(self.dir, "state", "dkim")

    def keygen(self, *args, umask=None):
        cmd = [BIN, "--config", self.config, "dkim", "keygen", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL,
                              preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)
        return proc

    def sign(self, message, *args):
        return subprocess.run([BIN, "--config", self.config, "dkim", "sign", "example.org", *args],
                              input=message, capture_output=True, timeout=60)


class KeygenTest(DkimCase):
    def test_rsa_key_and_record(self):
        r = self.keygen("Example.ORG", umask=0)
        self.assertEqual(r.returncode, 0, r.stderr)
        record = r.stdout.strip()
        self.assertRegex(record, r'^default\._domainkey\.example\.org\. IN TXT "[^"]{255}" "[^"]+"$')
        txt = txt_of(record)
        self.assertRegex(txt, r"^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/=]+$")
        path = os.path.join(self.key_dir, "example.org", "default.key")
        st = os.lstat(path)
        # umask 0 gave nothing away.
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.key_dir, "example.org")).st_mode),
                         0o700)
        self.assertEqual(st.st_uid, os.geteuid())
        with open(path) as f:
            self.assertTrue(f.read().startswith("-----BEGIN PRIVATE KEY-----"))
        self.assertIn(path, r.stderr)
        # show prints the same record again.
        self.assertEqual(self.ok("dkim", "show", "example.org").out.strip(), record)

    def test_ed25519_key_with_selector(self):
        r = self.keygen("example.org", "--selector", "ed2026", "--type", "ed25519", umask=0o077)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(),
                         r'^ed2026\._domainkey\.example\.org\. IN TXT '
                         r'"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="$')
        self.assertEqual(stat.S_IMODE(os.lstat(
            os.path.join(self.key_dir, "example.org", "ed2026.key")).st_mode), 0o600)

    def test_refuses_to_overwrite_without_force(self):
        first = self.keygen("example.org")
        self.assertEqual(first.returncode, 0, first.stderr)
        r = self.fails(EX_CANTCREAT, "dkim", "keygen", "example.org")
        self.assertIn("--force", r.err)
        self.assertEqual(self.ok("dkim", "show", "example.org").out, first.stdout)
        second = self.keygen("example.org", "--force")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertNotEqual(second.stdout, first.stdout)
        self.assertEqual(self.ok("dkim", "show", "example.org").out, second.stdout)
        self.assertEqual(os.listdir(os.path.join(self.key_dir, "example.org")), ["default.key"])

    def test_bad_arguments(self):
        self.fails(EX_DATAERR, "dkim", "keygen", "example.org", "--selector", "a/b")
        self.fails(EX_DATAERR, "dkim", "keygen", "example.org", "--type", "dsa")
        self.fails(EX_DATAERR, "dkim", "keygen", "not a domain")
        self.fails(67, "dkim", "show", "example.org")

    def test_key_dir_and_selector_from_the_configuration(self):
        elsewhere = os.path.join(self.dir, "keys")
        self.set_option("dkim", "key_dir", '"%s"' % elsewhere)
        self.set_option("dkim", "selector", '"mail2026"')
        self.ok("check-config")
        self.assertEqual(self.keygen("example.org").returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(elsewhere, "example.org", "mail2026.key")))

    def test_refuses_readable_keys_and_links(self):
        self.assertEqual(self.keygen("example.org").returncode, 0)
        path = os.path.join(self.key_dir, "example.org", "default.key")
        os.chmod(path, 0o644)
        r = self.fails(EX_NOPERM, "dkim", "sign", "example.org", stdin="From: a@example.org\n\n")
        self.assertIn("chmod 600 %s" % path, r.err)
        r = self.fails(EX_NOPERM, "dkim", "show", "example.org")
        self.assertIn("chmod 600", r.err)
        os.chmod(path, 0o600)
        os.symlink(path, os.path.join(self.key_dir, "example.org", "other.key"))
        r = self.fails(EX_NOPERM, "dkim", "show", "example.org")
        self.assertIn("symbolic link", r.err)


class InteropTest(DkimCase):
    """Every message shape signed with rsa-sha256 and ed25519-sha256, and
    verified by dkimpy; then changed, and refused by it."""

    def setUp(self):
        super().setUp()
        self.python = dkim_python()
        if not self.python:
            self.fail("python3-dkim not installed (scripts/setup-deps.sh installs it)")
        self.records = {}
        for selector, kind in (("rsa1", "rsa"), ("ed1", "ed25519")):
            r = self.keygen("example.org", "--selector", selector, "--type", kind)
            self.assertEqual(r.returncode, 0, r.stderr)
            line = r.stdout.strip()
            self.records[line.split()[0]] = txt_of(line)

    def verify(self, messages):
        request = {"records": self.records,
                   "messages": [base64.b64encode(m).decode() for m in messages]}
        r = subprocess.run([self.python, os.path.join(HERE, "dkim_verify.py")],
                           input=json.dumps(request), capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def signed(self, message, selector):
        r = self.sign(message, "--selector", selector)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith(b"DKIM-Signature: v=1; a="))
        self.assertTrue(r.stdout.endswith(message))
        return r.stdout

    def test_signatures_verify(self):
        names, messages = [], []
        for selector in ("rsa1", "ed1"):
            for name, message in MESSAGES.items():
                names.append("%s/%s" % (selector, name))
                messages.append(self.signed(message, selector))
        for signed in messages:
            field = signed[:signed.index(b"\r\nFrom:") + 2]
            for line in field.split(b"\r\n"):
                self.assertLessEqual(len(line), 78, line)
        self.assertEqual(dict(zip(names, self.verify(messages))), dict.fromkeys(names, True))

    def test_changes_fail_verification(self):
        for selector in ("rsa1", "ed1"):
            plain = self.signed(MESSAGES["plain"], selector)
            body_changed = plain.replace(b"at noon", b"at one")
            subject_changed = plain.replace(b"Subject: Lunch", b"Subject: Dinner")
            # (dkimpy itself also checks for one From more than h= names;
            # tests/unit/dkim/signer_test.cc pins our oversigning alone.)
            from_added = b"From: mallory@example.org\r\n" + plain
            empty = self.signed(MESSAGES["empty-body"], selector)
            body_added = empty + b"P.S. one more line\r\n"
            # An unsigned field may be added, and relaxed canonicalization
            # forgives white space changes: those still verify.
            received = b"Received: from somewhere\r\n" + plain
            spaced = plain.replace(b"Shall we meet", b"Shall  we\tmeet")
            self.assertEqual(
                self.verify([body_changed, subject_changed, from_added, body_added, received,
                             spaced]),
                [False, False, False, False, True, True], selector)

    def test_lf_input_is_signed_as_crlf(self):
        r = self.sign(b"From: alice@example.org\nSubject: lf\n\nunix text\n", "--selector", "ed1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b"\n", r.stdout.replace(b"\r\n", b""))
        self.assertEqual(self.verify([r.stdout]), [True])


if __name__ == "__main__":
    unittest.main()
