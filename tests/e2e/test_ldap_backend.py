"""hostmail with backend = "ldap" against a private slapd.

The seed's tree goes into the embedded directory with `hostmail ldif import`
and, as `hostmail ldif export` writes it, into slapd with ldapadd; both
directories must then give the same answers. Writes made with --as and
--as-password-stdin bind to slapd as that principal, so slapd's access rules
refuse a postmaster outside their own domain by themselves.
"""

import json
import os
import subprocess
import unittest

from hostmail_env import DATA, HostmailTestCase
import slapd_fixture
from slapd_fixture import Slapd

EX_TEMPFAIL, EX_NOPERM = 75, 77

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "ldap")
BASE = "o=hosting,dc=myhosting,dc=example"
SEED_FILES = ("base.ldif", "domain1.example.ldif", "domain2.example.ldif",
              "user1.domain1.example.ldif")

# The postmaster rule of docs/ldap/slapd.conf.example, for this suffix.
POSTMASTER_ACL = """\
access to dn.regex="^(.+,)?o=([^,]+),%(base)s$" attrs=userPassword
  by self write
  by set.expand="[cn=postmaster,o=$2,%(base)s]/roleOccupant & user" write
  by anonymous auth
  by * none
access to dn.regex="^(.+,)?o=([^,]+),%(base)s$" attrs=mailbox,homeDirectory,uidNumber,gidNumber
  by set.expand="[cn=postmaster,o=$2,%(base)s]/roleOccupant & user" =arscd
  by * read
access to dn.regex="^(.+,)?o=([^,]+),%(base)s$"
  by set.expand="[cn=postmaster,o=$2,%(base)s]/roleOccupant & user" write
  by * read
""" % {"base": BASE}


class LdapBackendTest(HostmailTestCase):

    def setUp(self):
        super().setUp()
        if not slapd_fixture.available():
            self.fail("slapd and ldap-utils are not installed; run scripts/setup-deps.sh")
        self.ldap = Slapd(extra_schemas=[os.path.join(slapd_fixture.SCHEMA_DIR, "misc.schema"),
                                         os.path.join(DOCS, "courier.schema")],
                          extra_acl=POSTMASTER_ACL)
        self.ldap.start()
        self.addCleanup(self.ldap.stop)
        # The seed, imported into the embedded directory...
        for name in SEED_FILES:
            self.ok("ldif", "import", os.path.join(DATA, "seed", name))
        exported = self.ok("ldif", "export").out
        # ...and the same tree loaded into slapd as a current slapd accepts it.
        self.ldap.add_ldif(exported)
        self.ldap_config = os.path.join(self.dir, "hostmail-ldap.toml")
        password_file = os.path.join(self.dir, "ldap-password")
        with open(password_file, "w") as f:
            f.write(self.ldap.root_pw + "\n")
        os.chmod(password_file, 0o600)
        with open(self.config) as f:
            text = f.read()
        text = text.replace('backend = "sqlite"', 'backend = "ldap"')
        text += ('\n[directory.ldap]\nuris = ["%s"]\nbase = "%s"\nbind_dn = "%s"\n'
                 'bind_password_file = "%s"\nauth = "bind"\ntimeout_ms = 3000\n' %
                 (self.ldap.uri, BASE, self.ldap.root_dn, password_file))
        with open(self.ldap_config, "w") as f:
            f.write(text)

    def hm_ldap(self, *args, stdin=None, as_user=None):
        cmd = [os.environ.get("HOSTMAIL_BIN", "hostmail"), "--config", self.ldap_config]
        if as_user:
            cmd += ["--as", as_user, "--as-password-stdin"]
        cmd += list(args)
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                              stdin=None if stdin is not None else subprocess.DEVNULL)

    def both(self, *args):
        embedded = self.ok(*args)
        ldap = self.hm_ldap(*args)
        self.assertEqual(ldap.returncode, 0, ldap.stderr)
        return json.loads(embedded.out), json.loads(ldap.stdout)

    def test_same_answers_as_the_embedded_directory(self):
        embedded, ldap = self.both("domain", "list", "--json")
        self.assertEqual(embedded, ldap)
        self.assertTrue(embedded)
        for what in ("account", "alias"):
            embedded, ldap = self.both(what, "list", "--json")
            self.assertEqual(embedded, ldap, what)
            self.assertTrue(embedded, what)
        accounts = json.loads(self.ok("account", "list", "--json").out)
        for account in accounts:
            address = account["address"] if isinstance(account, dict) else account
            embedded, ldap = self.both("account", "show", address, "--json")
            self.assertEqual(embedded, ldap, address)
        for domain in ("domain1.example", "domain2.example"):
            embedded, ldap = self.both("postmaster", "list", domain, "--json")
            self.assertEqual(embedded, ldap, domain)

    def test_postmaster_cannot_change_another_domain_and_slapd_refuses_itself(self):
        r = self.hm_ldap("account", "passwd", "user1@domain1.example", "--password-stdin",
                         stdin="pm secret\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Inside the own domain the write is bound as user1 and slapd allows it.
        r = self.hm_ldap("alias", "add", "sales@domain1.example", "user1@domain1.example",
                         stdin="pm secret\n", as_user="user1@domain1.example")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.ldap.search(filt="(mail=sales@domain1.example)", attrs=["maildrop"])
        self.assertIn("maildrop: user1@domain1.example", out)
        # With a wrong password slapd refuses the bind, so nothing is written.
        r = self.hm_ldap("alias", "add", "info@domain1.example", "user1@domain1.example",
                         stdin="wrong\n", as_user="user1@domain1.example")
        self.assertEqual(r.returncode, EX_NOPERM, r.stderr)  # refused, not an I/O failure
        self.assertEqual(self.ldap.search(filt="(mail=info@domain1.example)"), "")
        # Another domain: hostmail refuses...
        r = self.hm_ldap("alias", "add", "promo@domain2.example", "user1@domain1.example",
                         stdin="pm secret\n", as_user="user1@domain1.example")
        self.assertEqual(r.returncode, EX_NOPERM, r.stderr)
        self.assertIn("domain2.example", r.stderr)
        self.assertEqual(self.ldap.search(filt="(mail=promo@domain2.example)"), "")
        # ...and so does slapd, asked directly as the postmaster.
        user_dn = "mail=user1@domain1.example,o=domain1.example," + BASE
        ldif = ("dn: mail=x@domain2.example,o=domain2.example,%s\nobjectClass: nisMailAlias\n"
                "objectClass: CourierMailAlias\ncn: x\nmail: x@domain2.example\n"
                "maildrop: user1@domain1.example\n" % BASE)
        r = subprocess.run(["ldapadd", "-x", "-H", self.ldap.uri, "-D", user_dn, "-w",
                            "pm secret"], input=ldif, capture_output=True, text=True,
                           env=dict(os.environ, LDAPNOINIT="1"), timeout=60)
        self.assertEqual(r.returncode, 50, r.stderr)  # insufficientAccess

    def test_server_down_is_a_clear_temporary_failure(self):
        self.ldap.stop()
        r = self.hm_ldap("domain", "list")
        self.assertEqual(r.returncode, EX_TEMPFAIL, r.stderr)
        self.assertIn("LDAP server", r.stderr)
        self.assertIn("try again later", r.stderr)


if __name__ == "__main__":
    unittest.main()
