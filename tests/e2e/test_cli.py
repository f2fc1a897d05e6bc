"""The administration CLI, driven through the real binary."""

import os
import pwd
import re
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import tomllib
import tempfile
import time
import unittest
import uuid
import warnings

from hostmail_env import (BIN, INIT_ARGS, HostmailTestCase, free_port, needs_root,
                          needs_tools)

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_CANTCREAT, EX_NOPERM = 64, 65, 67, 73, 77


class DomainTest(HostmailTestCase):
    def test_add_list_delete(self):
        self.ok("domain", "add", "Example.ORG")
        self.ok("domain", "add", "bücher.example", "--postmaster-to", "boss@example.org")
        domains = self.ok("domain", "list", "--json").json()
        self.assertEqual([d["domain"] for d in domains], ["example.org", "xn--bcher-kva.example"])
        self.assertEqual(domains[0]["aliases"], 2)  # postmaster and abuse
        aliases = self.ok("alias", "list", "example.org", "--json").json()
        self.assertEqual(aliases, [
            {"address": "abuse@example.org", "maildrops": ["abuse"]},
            {"address": "postmaster@example.org", "maildrops": ["postmaster"]},
        ])
        idn = self.ok("alias", "list", "xn--bcher-kva.example", "--json").json()
        self.assertEqual(idn[1]["maildrops"], ["boss@example.org"])
        text = self.ok("domain", "list").out
        self.assertIn("example.org", text)
        self.ok("domain", "del", "example.org")
        self.assertEqual(len(self.ok("domain", "list", "--json").json()), 1)

    def test_errors(self):
        self.ok("domain", "add", "example.org")
        self.fails(EX_CANTCREAT, "domain", "add", "example.org")
        self.fails(EX_DATAERR, "domain", "add", "not a domain")
        self.fails(EX_NOUSER, "domain", "del", "unknown.example")

    def test_domain_with_accounts_needs_force(self):
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "a@example.org", "--password-stdin", stdin="pw\n")
        r = self.fails(EX_CANTCREAT, "domain", "del", "example.org")
        self.assertIn("--force", r.err)
        self.ok("domain", "del", "example.org", "--force")
        self.assertEqual(self.ok("account", "list", "--json").json(), [])


class AccountTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        self.ok("domain", "add", "example.org")

    def stored_hash(self, address):
        with open(self.config, "rb") as f:
            db = tomllib.load(f)["directory"]["sqlite"]["path"]
        with sqlite3.connect(os.path.join(self.dir, db)) as c:
            return c.execute("SELECT password_hash FROM accounts WHERE address = ?",
                             (address,)).fetchone()[0]

    @staticmethod
    def hash_matches(stored, password):
        """Checks a {CRYPT} hash (the default scheme) with the system's crypt(3)."""
        assert stored.startswith("{CRYPT}"), stored
        setting = stored[len("{CRYPT}"):]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        return crypt.crypt(password, setting) == setting

    def test_add_show_list_passwd_delete(self):
        self.ok("account", "add", "John@Example.org", "--password-stdin", "--quota", "1048576",
                stdin="first secret\n")
        shown = self.ok("account", "show", "john@example.org", "--json").json()[0]
        self.assertEqual(shown["address"], "john@example.org")
        self.assertEqual(shown["mailbox"], "example.org/john/")
        self.assertEqual(shown["quota"], 1048576)
        self.assertTrue(shown["password"])
        listed = self.ok("account", "list", "example.org", "--json").json()
        self.assertEqual([a["address"] for a in listed], ["john@example.org"])
        before = self.stored_hash("john@example.org")
        self.assertTrue(self.hash_matches(before, "first secret"))
        self.ok("account", "passwd", "john@example.org", "--password-stdin", stdin="second\n")
        # The new password is what the stored hash now verifies, the old one
        # no longer; and it is stored hashed, never as given.
        after = self.stored_hash("john@example.org")
        self.assertNotEqual(after, before)
        self.assertTrue(self.hash_matches(after, "second"))
        self.assertFalse(self.hash_matches(after, "first secret"))
        export = self.ok("ldif", "export").out
        self.assertNotIn("second", export)
        self.assertIn("userPassword: {", export)
        self.ok("account", "del", "john@example.org")
        self.fails(EX_NOUSER, "account", "show", "john@example.org")

    def test_reused_name_gets_a_fresh_mailbox(self):
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin="a\n")
        self.ok("account", "del", "john@example.org")
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin="b\n")
        shown = self.ok("account", "show", "john@example.org", "--json").json()[0]
        self.assertEqual(shown["mailbox"], "example.org/john.2/")

    def test_without_terminal_or_stdin_the_account_has_no_password(self):
        r = self.ok("account", "add", "nopw@example.org")
        self.assertIn("account passwd", r.err)
        shown = self.ok("account", "show", "nopw@example.org", "--json").json()[0]
        self.assertFalse(shown["password"])

    def test_passwords_never_come_from_argv(self):
        r = self.run_hm("account", "add", "x@example.org", "--password", "visible")
        self.assertEqual(r.code, EX_USAGE, r)
        self.fails(EX_DATAERR, "account", "passwd", "x@example.org")  # no terminal

    def test_password_prompt_on_a_terminal_without_echo(self):
        import pty
        import select
        self.ok("account", "add", "tty@example.org", "--password-stdin", stdin="old\n")
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(BIN, [BIN, "--config", self.config, "account", "passwd", "tty@example.org"])
        seen = b""

        def read_until(marker):
            nonlocal seen
            deadline = time.time() + 60  # slow under sanitizers and load
            while marker not in seen and time.time() < deadline:
                if select.select([fd], [], [], 1)[0]:
                    try:
                        seen += os.read(fd, 1024)
                    except OSError:
                        break
            self.assertIn(marker, seen)

        read_until(b"New password for tty@example.org: ")
        os.write(fd, b"typed secret\n")
        read_until(b"Again: ")
        os.write(fd, b"typed secret\n")
        _, status = os.waitpid(pid, 0)
        try:
            while True:
                chunk = os.read(fd, 1024)
                if not chunk:
                    break
                seen += chunk
        except OSError:
            pass
        os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, seen)
        self.assertNotIn(b"typed secret", seen)  # never echoed
        self.assertIn(b"password of tty@example.org changed", seen)

    def test_errors(self):
        self.fails(EX_NOUSER, "account", "add", "a@unhosted.example", "--password-stdin",
                   stdin="pw\n")
        self.fails(EX_DATAERR, "account", "add", "not-an-address", "--password-stdin",
                   stdin="pw\n")
        self.fails(EX_CANTCREAT, "account", "add", "postmaster@example.org", "--password-stdin",
                   stdin="pw\n")
        self.fails(EX_DATAERR, "account", "add", "a@example.org", "--password-stdin", stdin="\n")
        self.fails(EX_NOUSER, "account", "del", "ghost@example.org")


class AliasTest(HostmailTestCase):
    def test_aliases_and_catch_all(self):
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "boss@example.org", "--password-stdin", stdin="pw\n")
        self.ok("alias", "add", "sales@example.org", "boss@example.org", "friend@elsewhere.example")
        self.ok("alias", "add", "sales@example.org", "localuser")
        self.ok("alias", "add", "@example.org", "boss@example.org")
        aliases = {a["address"]: a["maildrops"]
                   for a in self.ok("alias", "list", "--json").json()}
        self.assertEqual(aliases["sales@example.org"],
                         ["boss@example.org", "friend@elsewhere.example", "localuser"])
        self.assertEqual(aliases["@example.org"], ["boss@example.org"])
        self.ok("alias", "del", "sales@example.org", "localuser")
        self.ok("alias", "del", "@example.org")
        aliases = {a["address"]: a["maildrops"]
                   for a in self.ok("alias", "list", "--json").json()}
        self.assertNotIn("@example.org", aliases)
        self.assertEqual(len(aliases["sales@example.org"]), 2)
        self.fails(EX_CANTCREAT, "alias", "add", "boss@example.org", "x@elsewhere.example")
        self.fails(EX_NOUSER, "alias", "del", "ghost@example.org")


class DelegationTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        for d in ("one.example", "two.example"):
            self.ok("domain", "add", d)
        self.ok("account", "add", "pm@one.example", "--password-stdin", stdin="pw\n")
        self.ok("account", "add", "joe@one.example", "--password-stdin", stdin="pw\n")
        self.ok("account", "add", "x@two.example", "--password-stdin", stdin="pw\n")
        self.ok("postmaster", "grant", "one.example", "pm@one.example")

    def test_grant_list_revoke(self):
        self.assertEqual(self.ok("postmaster", "list", "one.example", "--json").json(),
                         [{"address": "pm@one.example"}])
        shown = self.ok("account", "show", "pm@one.example", "--json").json()[0]
        self.assertEqual(shown["postmaster_of"], ["one.example"])
        self.ok("postmaster", "revoke", "one.example", "pm@one.example")
        self.assertEqual(self.ok("postmaster", "list", "one.example", "--json").json(), [])

    def test_postmaster_acts_inside_their_domain_only(self):
        pm = "pm@one.example"
        self.ok("account", "add", "new@one.example", "--password-stdin", stdin="pw\n", as_user=pm)
        self.ok("alias", "add", "team@one.example", "new@one.example", as_user=pm)
        self.ok("account", "passwd", "joe@one.example", "--password-stdin", stdin="n\n", as_user=pm)
        self.ok("postmaster", "grant", "one.example", "joe@one.example", as_user=pm)
        self.assertEqual([d["domain"] for d in self.ok("domain", "list", "--json", as_user=pm).json()],
                         ["one.example"])
        self.fails(EX_NOPERM, "account", "add", "y@two.example", "--password-stdin", stdin="pw\n",
                   as_user=pm)
        self.fails(EX_NOPERM, "account", "del", "x@two.example", as_user=pm)
        self.fails(EX_NOPERM, "domain", "add", "three.example", as_user=pm)
        self.fails(EX_NOPERM, "domain", "del", "one.example", "--force", as_user=pm)
        self.fails(EX_NOPERM, "postmaster", "grant", "two.example", "x@two.example", as_user=pm)
        self.fails(EX_NOPERM, "postmaster", "grant", "one.example", "x@two.example", as_user=pm)
        self.fails(EX_NOPERM, "ldif", "export", as_user=pm)
        # Without a domain, a postmaster lists the domains they administer.
        listed = self.ok("account", "list", "--json", as_user=pm).json()
        self.assertEqual([a["address"] for a in listed],
                         ["joe@one.example", "new@one.example", "pm@one.example"])
        self.fails(EX_NOPERM, "account", "list", "two.example", as_user=pm)
        self.fails(EX_NOPERM, "account", "list", as_user="x@two.example")

    def test_user_changes_only_own_password(self):
        joe = "joe@one.example"
        self.ok("account", "passwd", joe, "--password-stdin", stdin="mine\n", as_user=joe)
        self.fails(EX_NOPERM, "account", "passwd", "pm@one.example", "--password-stdin",
                   stdin="x\n", as_user=joe)
        self.fails(EX_NOPERM, "alias", "add", "a@one.example", "joe@one.example", as_user=joe)

    def test_unknown_actor(self):
        self.fails(EX_NOUSER, "domain", "list", as_user="ghost@one.example")


class ToolsTest(HostmailTestCase):
    def test_passwd_hash_schemes(self):
        for scheme, prefix in (("SSHA", "{SSHA}"), ("SHA", "{SHA}"), ("SMD5", "{SMD5}"),
                               ("CRYPT", "{CRYPT}$")):
            r = self.ok("passwd-hash", "--scheme", scheme, stdin="secret\n")
            self.assertTrue(r.out.startswith(prefix), r)
            self.assertEqual(len(r.out.strip().splitlines()), 1)
        self.fails(EX_DATAERR, "passwd-hash", "--scheme", "ROT13", stdin="secret\n")

    def test_check_config(self):
        r = self.run_hm("check-config")
        # The starter config's vmail user may not exist on this machine; every
        # problem it reports names the key and says what to do.
        if r.code != 0:
            for line in r.err.splitlines():
                self.assertIn("vmail", line, r)
        with open(self.config) as f:
            text = f.read()
        with open(self.config, "w") as f:
            f.write(text.replace("[server]\n", "[server]\nbogus_key = 1\n", 1))
        bad = self.run_hm("check-config")
        self.assertNotEqual(bad.code, 0)
        self.assertIn("bogus_key", bad.err)
        self.assertRegex(bad.err, r"hostmail\.toml:\d+")

    def test_postmaster_address_from_init_and_the_warning_of_check_config(self):
        # Issue 11.5: init can name who reads postmaster mail; check-config
        # says when nobody does.
        r = self.run_hm("check-config")
        self.assertIn("postmaster", r.err)
        self.assertIn("nowhere to go", r.err)
        with open(self.aliases, "w") as f:
            f.write("postmaster: someone@example.org\n")
        self.assertNotIn("nowhere to go", self.run_hm("check-config").err)

        other = tempfile.mkdtemp(prefix="hm-e2e-init-")
        self.addCleanup(shutil.rmtree, other, ignore_errors=True)
        r = self.ok("init", "--dir", other, *INIT_ARGS, "--postmaster-address",
                    "hostmaster@example.org", use_config=False)
        self.assertNotIn("postmaster_address in", r.out)
        with open(os.path.join(other, "hostmail.toml"), "rb") as f:
            self.assertEqual(tomllib.load(f)["server"]["postmaster_address"],
                             "hostmaster@example.org")
        bad = tempfile.mkdtemp(prefix="hm-e2e-init-")
        self.addCleanup(shutil.rmtree, bad, ignore_errors=True)
        r = self.run_hm("init", "--dir", bad, *INIT_ARGS, "--postmaster-address", "not an address",
                        use_config=False)
        self.assertNotEqual(r.code, 0)
        self.assertIn("--postmaster-address", r.err)
        self.assertFalse(os.path.exists(os.path.join(bad, "hostmail.toml")))

    def test_check_config_says_when_following_ldap_changes_has_nothing_to_do(self):
        with open(self.config) as f:
            text = f.read()
        text = text.replace('backend = "sqlite"', 'backend = "ldap"', 1)
        text += ('\n[directory.ldap]\nuris = ["ldap://127.0.0.1:9"]\nbase = "o=hosting,dc=x"\n'
                 'cache_ttl_s = 0\nfollow_changes = "on"\n')
        with open(self.config, "w") as f:
            f.write(text)
        r = self.run_hm("check-config")
        self.assertIn("follow_changes", r.err)
        self.assertIn("no cache", r.err)

    def test_init_refuses_to_overwrite(self):
        self.fails(EX_CANTCREAT, "init", "--dir", self.dir, *INIT_ARGS, use_config=False)

    def test_config_discovery_from_environment(self):
        env = dict(os.environ, HOSTMAIL_CONFIG=self.config)
        r = self.run_hm("domain", "list", "--json", use_config=False, env=env)
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.json(), [])

    def test_missing_config_says_what_to_do(self):
        env = {k: v for k, v in os.environ.items() if k != "HOSTMAIL_CONFIG"}
        proc = subprocess.run([BIN, "domain", "list"], capture_output=True, text=True,
                              cwd=self.dir + "/state", env=env, timeout=30)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("hostmail init", proc.stderr)

    def test_serve_and_cli_share_the_directory(self):
        self.start_server()
        # While the daemon holds the database open, the CLI changes it.
        self.ok("domain", "add", "live.example")
        for i in range(8):
            self.ok("account", "add", f"u{i}@live.example", "--password-stdin",
                    stdin=f"pw{i}\n")
        self.assertEqual(len(self.ok("account", "list", "--json").json()), 8)
        # The daemon sees what the CLI wrote at once, and a deletion too.
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=30) as s:
            s.ehlo("cli-test.example")
            s.mail("a@elsewhere.example")
            self.assertEqual(s.rcpt("u7@live.example")[0], 250)
            self.ok("account", "del", "u7@live.example")
            self.assertEqual(s.rcpt("u7@live.example")[0], 550)
            self.assertEqual(s.rcpt("u6@live.example")[0], 250)
        self.assertIsNone(self.server.poll())
        self.server.terminate()
        self.assertEqual(self.server.wait(timeout=30), 0)
        self.assertIn("serving sqlite:", self.server_log())

@needs_root("creates the vmail user")
@needs_tools("useradd", "userdel")
class InitAsRootTest(unittest.TestCase):
    """`hostmail init` as root leaves a setup whose next `serve` starts."""

    def setUp(self):
        # A throw-away user, removed afterwards: the machine is left as found.
        self.user = "hmt" + uuid.uuid4().hex[:10]
        self.addCleanup(self.remove_user)
        top = tempfile.mkdtemp(prefix="hm-e2e-init-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        os.chmod(top, 0o755)  # mkdtemp's 0700 would keep the new user out
        self.dir = os.path.join(top, "site")

    def remove_user(self):
        subprocess.run(["userdel", self.user], capture_output=True)
        subprocess.run(["groupdel", self.user], capture_output=True)

    def init(self, env=None):
        return subprocess.run([BIN, "init", "--dir", self.dir, "--vmail-user", self.user],
                              capture_output=True, text=True, timeout=60, env=env,
                              stdin=subprocess.DEVNULL)

    def test_creates_the_user_and_hands_it_its_folders(self):
        r = self.init()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(self.user, r.stdout)
        entry = pwd.getpwnam(self.user)
        self.assertNotEqual(entry.pw_uid, 0)
        config = os.path.join(self.dir, "hostmail.toml")
        with open(config) as f:
            text = f.read()
        self.assertIn('vmail_user = "%s"' % self.user, text)
        for folder in ("state", "vmail", "vmail/domains"):
            self.assertEqual(os.stat(os.path.join(self.dir, folder)).st_uid, entry.pw_uid, folder)
        # The configuration and the TLS key stay root's.
        for path in ("", "hostmail.toml", "tls", "tls/key.pem"):
            self.assertEqual(os.stat(os.path.join(self.dir, path)).st_uid, 0, path)

        # The next `serve` starts (on private ports) and runs as that user.
        smtp = free_port()
        for service in ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s", "admin"):
            port = smtp if service == "smtp" else free_port()
            text = re.sub(r'(?m)^%s = \["127\.0\.0\.1:\d+"\]' % service,
                          '%s = ["127.0.0.1:%d"]' % (service, port), text)
        with open(config, "w") as f:
            f.write(text)
        log_path = os.path.join(self.dir, "serve.log")

        def log_text():
            with open(log_path) as f:
                return f.read()

        with open(log_path, "w") as log:
            server = subprocess.Popen([BIN, "--config", config, "serve"], stdout=log,
                                      stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 20
            while True:
                self.assertIsNone(server.poll(), log_text())
                try:
                    with socket.create_connection(("127.0.0.1", smtp), timeout=1):
                        break
                except OSError:
                    self.assertLess(time.time(), deadline, log_text())
                    time.sleep(0.05)
            time.sleep(0.3)  # past the drop of root and the writable check
            self.assertIsNone(server.poll(), log_text())
            self.assertIn("running as %s:%s" % (self.user, self.user), log_text())
        finally:
            server.terminate()
            server.wait(timeout=30)

    def test_says_what_to_run_when_the_user_cannot_be_created(self):
        r = self.init(env={"PATH": "/nonexistent"})  # no useradd to be found
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("useradd --system --user-group", r.stderr)
        self.assertIn(self.user, r.stderr)
        self.assertFalse(os.path.exists(self.dir))  # nothing half done
        with self.assertRaises(KeyError):
            pwd.getpwnam(self.user)


if __name__ == "__main__":
    unittest.main()
