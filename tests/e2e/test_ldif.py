"""LDIF import and export of the seed's tree, through the real binary."""

import os
import shutil
import tempfile
import time
import unittest

from hostmail_env import DATA, INIT_ARGS, HostmailTestCase

SEED = [os.path.join(DATA, "seed", f) for f in
        ("base.ldif", "domain1.example.ldif", "user1.domain1.example.ldif",
         "domain2.example.ldif")]


class LdifTest(HostmailTestCase):
    def test_seed_import(self):
        self.ok("ldif", "import", *SEED[:3])
        self.assertEqual([d["domain"] for d in self.ok("domain", "list", "--json").json()],
                         ["domain1.example"])
        account = self.ok("account", "show", "user1@domain1.example", "--json").json()[0]
        self.assertEqual(account["mailbox"], "domain1.example/user1/")
        self.assertEqual(account["home"], "/home/vmail/domains")
        self.assertEqual(account["uid"], 101)
        self.assertEqual(account["postmaster_of"], ["domain1.example"])
        aliases = {a["address"]: a["maildrops"]
                   for a in self.ok("alias", "list", "--json").json()}
        self.assertEqual(aliases, {"abuse@domain1.example": ["abuse"],
                                   "postmaster@domain1.example": ["postmaster"]})

    def test_round_trip(self):
        self.ok("ldif", "import", *SEED)
        first = self.ok("ldif", "export").out
        other = tempfile.mkdtemp(prefix="hm-e2e-other-")
        self.addCleanup(shutil.rmtree, other, ignore_errors=True)
        self.ok("init", "--dir", other, *INIT_ARGS, use_config=False)
        exported = os.path.join(other, "export.ldif")
        with open(exported, "w") as f:
            f.write(first)
        other_config = os.path.join(other, "hostmail.toml")
        r = self.run_hm("--config", other_config, "ldif", "import", exported, use_config=False)
        self.assertEqual(r.code, 0, r)
        second = self.run_hm("--config", other_config, "ldif", "export", use_config=False).out
        self.assertEqual(first, second)
        # Import of the same data again changes nothing.
        self.ok("ldif", "import", exported)
        self.assertEqual(self.ok("ldif", "export").out, first)

    def test_import_from_stdin_and_errors(self):
        with open(SEED[0]) as f:
            self.ok("ldif", "import", "-", stdin=f.read())
        r = self.fails(65, "ldif", "import", "-", stdin="dn: o=x.example,o=hosting\nnot ldif\n")
        self.assertIn("line", r.err)
        self.fails(65, "ldif", "import", SEED[2])  # its domain is not there yet
        self.fails(67, "ldif", "import", os.path.join(self.dir, "nope.ldif"))

    def test_home_directory_other_than_virtual_base_is_said(self):
        # The seed's account says homeDirectory /home/vmail/domains, while
        # hostmail delivers under [storage] virtual_base.
        r = self.ok("ldif", "import", *SEED[:3])
        said = [l for l in r.err.splitlines() if "homeDirectory" in l]
        self.assertEqual(len(said), 1, r)
        self.assertIn("user1@domain1.example: /home/vmail/domains", said[0])
        self.assertIn(self.maildirs, said[0])
        r = self.ok("account", "show", "user1@domain1.example")
        self.assertIn("homeDirectory", r.err)
        self.assertIn("/home/vmail/domains", r.err)
        r = self.run_hm("check-config")
        said = [l for l in r.err.splitlines() if "homeDirectory" in l]
        self.assertEqual(len(said), 1, r)
        self.assertIn("warning", said[0])
        self.assertIn("1 account has", said[0])
        self.start_server()
        deadline = time.time() + 10
        while "homeDirectory" not in self.server_log() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.server_log().count("homeDirectory other than"), 1,
                         self.server_log())
        # An account made by hostmail itself has virtual_base: nothing to say.
        self.ok("domain", "add", "example.org")
        r = self.ok("account", "add", "a@example.org", "--password-stdin", stdin="pw\n")
        self.assertNotIn("homeDirectory", self.ok("account", "show", "a@example.org").err)

    def test_backup_keeps_the_retired_mailboxes(self):
        # docs/operations.md recommends the export as the backup: after a
        # restore into a fresh installation (with no old Maildir on its disk),
        # a re-created account must still not get the deleted one's mail.
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "alice@example.org", "--password-stdin", stdin="pw\n")
        self.ok("account", "del", "alice@example.org")
        self.ok("domain", "add", "gone.example")
        self.ok("account", "add", "bob@gone.example", "--password-stdin", stdin="pw\n")
        self.ok("domain", "del", "gone.example", "--force")
        backup = self.ok("ldif", "export").out
        self.assertIn("example.org/alice/", backup)
        self.assertIn("gone.example/bob/", backup)

        other = tempfile.mkdtemp(prefix="hm-e2e-restore-")
        self.addCleanup(shutil.rmtree, other, ignore_errors=True)
        self.ok("init", "--dir", other, *INIT_ARGS, use_config=False)
        other_config = os.path.join(other, "hostmail.toml")
        path = os.path.join(other, "backup.ldif")
        with open(path, "w") as f:
            f.write(backup)

        def hm(*args, **kw):
            r = self.run_hm("--config", other_config, *args, use_config=False, **kw)
            self.assertEqual(r.code, 0, r)
            return r

        hm("ldif", "import", path)
        self.assertEqual(hm("ldif", "export").out, backup)
        hm("account", "add", "alice@example.org", "--password-stdin", stdin="pw\n")
        hm("domain", "add", "gone.example")
        hm("account", "add", "bob@gone.example", "--password-stdin", stdin="pw\n")
        mailboxes = {a["address"]: a["mailbox"] for a in hm("account", "list", "--json").json()}
        self.assertEqual(mailboxes["alice@example.org"], "example.org/alice.2/")
        self.assertEqual(mailboxes["bob@gone.example"], "gone.example/bob.2/")

    def test_articles_base_ldif_as_printed_is_refused(self):
        # As the article prints it: every line after the first indented, so
        # LDIF reads one long folded "dn:" line.
        with open(SEED[0]) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
        printed = lines[0] + "\n" + "".join(" " + l + "\n" for l in lines[1:])
        r = self.run_hm("ldif", "import", "-", stdin=printed)
        self.assertEqual(r.code, 65, r)
        self.assertIn("line 1", r.err)
        self.assertIn("nothing imported", r.err)
        self.assertIn("leading space", r.err)
        self.assertNotIn("imported -", r.err)

    def test_skipped_records_are_named_and_nothing_imported_is_an_error(self):
        r = self.ok("ldif", "import", SEED[0])
        warnings = [l for l in r.err.splitlines() if "warning" in l]
        self.assertEqual(len(warnings), 1, r)
        self.assertIn("line 4", warnings[0])
        self.assertIn("cn=Manager", warnings[0])
        outside = os.path.join(self.dir, "outside.ldif")
        with open(outside, "w") as f:
            f.write("dn: cn=whatever,dc=nowhere\nobjectClass: top\nobjectClass: device\n"
                    "cn: whatever\n")
        r = self.fails(65, "ldif", "import", outside)
        self.assertIn("line 1", r.err)
        self.assertIn("cn=whatever,dc=nowhere", r.err)
        self.assertNotIn("imported " + outside, r.err)


if __name__ == "__main__":
    unittest.main()
