"""A private hostmail installation for one test: its own folder, config and
directory database, and a helper to run the real binary's commands."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

BIN = os.environ.get("HOSTMAIL_BIN", "hostmail")
DATA = os.environ.get("HOSTMAIL_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))


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
        r = self.run_hm("init", "--dir", self.dir, use_config=False)
        self.assertEqual(r.code, 0, r)
        self.config = os.path.join(self.dir, "hostmail.toml")

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
