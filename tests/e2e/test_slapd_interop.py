"""Password hashes made by `hostmail passwd-hash` are accepted by a real
OpenLDAP slapd: each is stored as a user's userPassword and the user binds
with the right password and is refused with a wrong one.

(The other direction, slappasswd's hashes verified by hostmail, is covered by
the unit tests of src/auth.)
"""

import base64
import os
import subprocess
import unittest

from hostmail_env import BIN
import slapd_fixture
from slapd_fixture import Slapd

PASSWORD = "correct horse Bätterie 7!"
WRONG = "correct horse Bätterie 7?"

# scheme given to --scheme -> the {PREFIX} and hash start hostmail must write.
# pw-sha2 provides the SHA-2 schemes, argon2 the {ARGON2} one; the rest are
# built into slapd ({CRYPT} hands the string to the system's libcrypt).
SCHEMES = {
    "SSHA": "{SSHA}",
    "SHA": "{SHA}",
    "SMD5": "{SMD5}",
    "MD5": "{MD5}",
    "CRYPT": "{CRYPT}$y$",
    "CRYPT-YESCRYPT": "{CRYPT}$y$",
    "CRYPT-SHA512": "{CRYPT}$6$",
    "CRYPT-SHA256": "{CRYPT}$5$",
    "CRYPT-MD5": "{CRYPT}$1$",
    "CRYPT-BCRYPT": "{CRYPT}$2b$",
    "SSHA256": "{SSHA256}",
    "SSHA512": "{SSHA512}",
    "SHA256": "{SHA256}",
    "SHA512": "{SHA512}",
    "ARGON2": "{ARGON2}$argon2id$",
}


def passwd_hash(scheme, password):
    proc = subprocess.run([BIN, "passwd-hash", "--scheme", scheme], input=password.encode(),
                          capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("hostmail passwd-hash --scheme %s: exit %d: %s" %
                             (scheme, proc.returncode, proc.stderr.decode(errors="replace")))
    return proc.stdout.decode().strip()


class SlapdAcceptsHostmailHashes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not slapd_fixture.available():
            raise RuntimeError("slapd and ldap-utils are missing: run scripts/setup-deps.sh")
        # One server for all schemes: starting slapd costs more than a test.
        cls.ldap = Slapd(modules=["pw-sha2", "argon2"])
        cls.ldap.start()
        cls.addClassCleanup(cls.ldap.stop)
        cls.ldap.add_ldif("dn: %s\nobjectClass: dcObject\nobjectClass: organization\n"
                          "dc: myhosting\no: myhosting\n" % cls.ldap.suffix)

    def add_user(self, name, hashed):
        dn = "cn=user-%s,%s" % (name.lower(), self.ldap.suffix)
        self.ldap.add_ldif("dn: %s\nobjectClass: inetOrgPerson\ncn: user-%s\nsn: %s\n"
                           "userPassword: %s\n" % (dn, name.lower(), name, hashed))
        return dn

    def stored_password(self, dn):
        ldif = self.ldap.search(dn, "base", "(objectClass=*)", ["userPassword"])
        for line in ldif.splitlines():
            if line.startswith("userPassword:: "):
                return base64.b64decode(line[len("userPassword:: "):]).decode()
            if line.startswith("userPassword: "):
                return line[len("userPassword: "):]
        self.fail("no userPassword in\n" + ldif)

    def check_scheme(self, scheme):
        hashed = passwd_hash(scheme, PASSWORD)
        self.assertTrue(hashed.startswith(SCHEMES[scheme]), hashed)
        dn = self.add_user(scheme, hashed)
        self.assertEqual(self.stored_password(dn), hashed)  # slapd kept it as written
        self.assertTrue(self.ldap.bind_ok(dn, PASSWORD), "slapd refused %s" % hashed)
        self.assertFalse(self.ldap.bind_ok(dn, WRONG), "slapd took a wrong password")
        self.assertFalse(self.ldap.bind_ok(dn, hashed), "slapd took the hash as password")

    def test_two_hashes_of_one_password_differ_and_both_bind(self):
        first, second = passwd_hash("SSHA512", PASSWORD), passwd_hash("SSHA512", PASSWORD)
        self.assertNotEqual(first, second)  # fresh salt each time
        self.assertTrue(self.ldap.bind_ok(self.add_user("salt-a", first), PASSWORD))
        self.assertTrue(self.ldap.bind_ok(self.add_user("salt-b", second), PASSWORD))

    def test_argon2id_prefix_is_hostmail_only(self):
        # {ARGON2ID} is hostmail's own spelling; slapd's argon2 module only
        # registers {ARGON2}, which is why the ARGON2 scheme exists. If a later
        # slapd learns {ARGON2ID}, this test says so and the docs can change.
        hashed = passwd_hash("ARGON2ID", PASSWORD)
        self.assertTrue(hashed.startswith("{ARGON2ID}$argon2id$"), hashed)
        dn = self.add_user("argon2id", hashed)
        self.assertFalse(self.ldap.bind_ok(dn, PASSWORD))


def _scheme_test(scheme):
    def test(self):
        self.check_scheme(scheme)
    test.__doc__ = "slapd verifies hostmail's %s hash" % scheme
    return test


for _scheme in SCHEMES:
    setattr(SlapdAcceptsHostmailHashes, "test_" + _scheme.lower().replace("-", "_"),
            _scheme_test(_scheme))


class FixtureTest(unittest.TestCase):
    """The fixture itself: ports, shutdown and error reports."""

    def test_two_servers_and_clean_stop(self):
        with Slapd() as a, Slapd() as b:
            self.assertNotEqual(a.port, b.port)
            pid, folder = a.pid, a.dir
            a.stop()
            a.stop()  # twice is harmless
            self.assertIsNone(a.pid)
            self.assertFalse(os.path.exists(folder))
            with self.assertRaises(ProcessLookupError):
                os.kill(pid, 0)
            self.assertTrue(b.bind_ok(b.root_dn, b.root_pw))
            self.assertFalse(b.bind_ok(b.root_dn, "not the root password"))

    def test_bad_configuration_reports_slapds_error(self):
        ldap = Slapd(modules=["no-such-module"])
        with self.assertRaises(slapd_fixture.SlapdError) as raised:
            ldap.start()
        self.assertIn("no-such-module", str(raised.exception))
        self.assertIsNone(ldap.pid)
        self.assertIsNone(ldap.dir)


if __name__ == "__main__":
    unittest.main()
