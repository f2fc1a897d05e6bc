"""A private hostmail installation for one test: its own folder, config and
directory database, and a helper to run the real binary's commands."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("HOSTMAIL_BIN", "hostmail")
# What `hostmail serve` runs as when the tests run as root.
VMAIL_USER, VMAIL_GROUP = "nobody", "nogroup"
# `hostmail init` run as root creates its --vmail-user when missing (default
# "vmail"): the tests name one that exists, so the machine is left as found.
INIT_ARGS = ["--vmail-user", VMAIL_USER] if os.geteuid() == 0 else []
DATA = os.environ.get("HOSTMAIL_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))


_handed_out = set()


def free_port():
    """A loopback port nobody listens on right now, and not one this process
    handed out before: the kernel may give the same ephemeral port to two
    binds in a row once the first socket is closed, and two services of one
    configuration on one port is a configuration error."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free loopback port found in 100 tries")


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\nstdout: {self.out}\nstderr: {self.err}"


class HostmailTestCase(unittest.TestCase):
    """Each test gets `hostmail init` in a fresh temporary folder."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hm-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        r = self.run_hm("init", "--dir", self.dir, *INIT_ARGS, use_config=False)
        self.assertEqual(r.code, 0, r)
        self.config = os.path.join(self.dir, "hostmail.toml")
        # Private ports, so tests can run side by side.
        self.ports = {}
        with open(self.config) as f:
            text = f.read()
        for service in ("smtp", "submission", "smtps", "imap", "imaps", "pop3", "pop3s", "admin"):
            self.ports[service] = free_port()
            text = re.sub(r'(?m)^%s = \["127\.0\.0\.1:\d+"\]' % service,
                          '%s = ["127.0.0.1:%d"]' % (service, self.ports[service]), text)
        if os.geteuid() == 0:
            # `hostmail serve` started as root drops to vmail_user; the
            # machine may have no "vmail", so the tests use nobody.
            text = re.sub(r'(?m)^vmail_user = .*$', 'vmail_user = "%s"' % VMAIL_USER, text)
            text = re.sub(r'(?m)^vmail_group = .*$', 'vmail_group = "%s"' % VMAIL_GROUP, text)
        # The machine's /etc/aliases is not the tests' business: each test
        # gets its own aliases file, empty until it writes one.
        self.aliases = os.path.join(self.dir, "aliases")
        open(self.aliases, "w").close()
        text = re.sub(r'(?m)^aliases = .*$', 'aliases = "%s"' % self.aliases, text)
        with open(self.config, "w") as f:
            f.write(text)
        self.maildirs = os.path.join(self.dir, "vmail", "domains")
        self.server = None

    def set_option(self, table, key, value):
        """Sets `key = value` (value as TOML text) in [table] of the config."""
        with open(self.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^#? ?%s = .*$" % key, "%s = %s" % (key, value), text, count=1)
        if n == 0:
            text = text.replace("[%s]\n" % table, "[%s]\n%s = %s\n" % (table, key, value), 1)
        with open(self.config, "w") as f:
            f.write(text)

    def start_server(self, preexec_fn=None):
        """Starts `hostmail serve` and waits until SMTP answers. `preexec_fn`
        runs in the child before exec (to set its limits, say)."""
        if os.geteuid() == 0:
            # The folders the daemon writes must be vmail's (it chowns only
            # its own files, see docs/operations.md).
            for folder in ("", "state", "vmail", "vmail/domains"):
                path = os.path.join(self.dir, folder)
                os.makedirs(path, exist_ok=True)
                shutil.chown(path, VMAIL_USER, VMAIL_GROUP)
        log = open(os.path.join(self.dir, "serve.log"), "a")
        self.addCleanup(log.close)
        self.server = subprocess.Popen([BIN, "--config", self.config, "serve"],
                                       stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=preexec_fn)
        self.addCleanup(self.stop_server)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.server.poll() is not None:
                self.fail("hostmail serve exited: " + self.server_log())
            try:
                with socket.create_connection(("127.0.0.1", self.ports["smtp"]), timeout=1):
                    return self.server
            except OSError:
                time.sleep(0.05)
        self.fail("hostmail serve did not listen: " + self.server_log())

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def server_log(self):
        with open(os.path.join(self.dir, "serve.log")) as f:
            return f.read()

    def maildir_files(self, mailbox, sub="new"):
        """Contents of the files in a mailbox's new/ (or cur/), sorted by name."""
        path = os.path.join(self.maildirs, mailbox, sub)
        if not os.path.isdir(path):
            return []
        out = []
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                out.append(f.read())
        return out

    def run_hm(self, *args, stdin=None, use_config=True, as_user=None, env=None):
        cmd = [BIN]
        if use_config:
            cmd += ["--config", self.config]
        if as_user:
            cmd += ["--as", as_user]
        cmd += list(args)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                              env=env, stdin=None if stdin is not None else subprocess.DEVNULL)
        return Result(proc)

    def ok(self, *args, **kw):
        r = self.run_hm(*args, **kw)
        self.assertEqual(r.code, 0, r)
        return r

    def fails(self, code, *args, **kw):
        """The command fails with this exit status and one clear stderr line."""
        r = self.run_hm(*args, **kw)
        self.assertEqual(r.code, code, r)
        lines = [l for l in r.err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith("hostmail: "), r)
        return r
