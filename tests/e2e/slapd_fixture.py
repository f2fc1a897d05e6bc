"""A private, throw-away OpenLDAP slapd for end-to-end tests.

The server runs as the calling user (root or not) from a temporary folder
holding its slapd.conf, its mdb database and its log, listens on a free port
of 127.0.0.1 only, and is stopped by PID: nothing else on the machine is
touched. Clients are the ldap-utils tools, run with LDAPNOINIT so that no
ldap.conf or ~/.ldaprc of the machine changes what they do.

    with Slapd(modules=["pw-sha2", "argon2"]) as ldap:
        ldap.add_ldif("dn: cn=x,dc=myhosting,dc=example\\n...")
        assert ldap.bind_ok("cn=x,dc=myhosting,dc=example", "secret")

or, for a server shared by a whole test class, `start()` in setUpClass and
`stop()` as a class cleanup. `pause()` and `resume()` take the server away and
bring it back on the same port with the same database, for outage tests.
Not thread-safe: one test thread drives it.
"""

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"
BASE_SCHEMAS = ("core", "cosine", "nis", "inetorgperson")

SUFFIX = "dc=myhosting,dc=example"
ROOT_DN = "cn=Manager," + SUFFIX

DEFAULT_ACL = """\
access to attrs=userPassword
  by anonymous auth
  by self write
  by * none
access to *
  by * read
"""

# ldapwhoami's exit status for a refused simple bind (LDAP resultCode 49).
_INVALID_CREDENTIALS = 49
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
_PORT_ATTEMPTS = 5
_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def available():
    """Whether slapd and the ldap-utils clients are installed here."""
    return os.access(SLAPD, os.X_OK) and all(
        shutil.which(tool) for tool in ("slappasswd", "ldapsearch", "ldapadd", "ldapwhoami"))


class SlapdError(RuntimeError):
    """slapd did not start, or an ldap-utils client failed unexpectedly."""


def _free_port():
    # The port is released before slapd binds it, so another process may take
    # it in between; start() retries with a fresh port when slapd's bind fails.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    # Runs in the child before exec: should the test runner be killed (ctest's
    # timeout, ^C twice) without reaching stop(), the kernel sends slapd a
    # SIGTERM instead of leaving it behind. Linux only; elsewhere a no-op.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _client_env():
    env = dict(os.environ)
    env["LDAPNOINIT"] = "1"  # ignore /etc/ldap/ldap.conf and ~/.ldaprc
    return env


class Slapd:
    """One slapd process with an mdb database for SUFFIX.

    modules: extra slapd modules to load from MODULE_DIR, e.g. "pw-sha2",
      "argon2" (back_mdb is always loaded).
    extra_schemas: paths of further .schema files, included after the
      standard core, cosine, nis and inetorgperson schemas.
    extra_acl: slapd.conf access lines placed before the default ACL, which
      lets users authenticate against their own userPassword and everybody
      read everything else.
    overlays: overlays for the database, e.g. "syncprov" (load its module
      with `modules` too); they come last in slapd.conf.
    """

    def __init__(self, modules=(), extra_schemas=(), extra_acl="", overlays=()):
        self.modules = list(modules)
        self.overlays = list(overlays)
        self.extra_schemas = list(extra_schemas)
        self.extra_acl = extra_acl
        self.root_dn = ROOT_DN
        self.root_pw = secrets.token_urlsafe(16)
        self.suffix = SUFFIX
        self.port = None
        self.uri = None
        self.dir = None
        self._proc = None
        self._log = None
        self._log_start = 0

    # ---- lifecycle ----

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def pid(self):
        return self._proc.pid if self._proc else None

    def start(self):
        """Writes the configuration and starts slapd; returns once it answers.

        Raises SlapdError with slapd's own error output when it does not.
        """
        if self._proc:
            raise SlapdError("slapd is already running (pid %d)" % self._proc.pid)
        self.dir = tempfile.mkdtemp(prefix="hm-slapd-")
        try:
            os.mkdir(os.path.join(self.dir, "db"), 0o700)
            self._write_config()
            for _ in range(_PORT_ATTEMPTS):
                if self._try_start(_free_port()):
                    return self
            raise SlapdError("slapd found no free port on 127.0.0.1 after %d attempts" %
                             _PORT_ATTEMPTS)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stops slapd (SIGTERM, SIGKILL after 10 s) and deletes its folder.

        Safe to call more than once, after a failed start and after pause().
        """
        self._terminate()
        if self._log:
            self._log.close()
            self._log = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        self.port = self.uri = None

    def pause(self):
        """Stops slapd by its PID (SIGTERM, SIGKILL after 10 s) and keeps its
        folder, database, port and uri, so that resume() brings the same
        server back. Does nothing when slapd is not running.
        """
        self._terminate()

    def resume(self):
        """Starts slapd again after pause(), on the same port with the same
        configuration and database; returns once it answers.

        Raises SlapdError when the server was never started or was stopped
        for good, and when the port was taken meanwhile (clients configured
        with the old uri could not reach a server on another port).
        """
        if self._proc:
            raise SlapdError("slapd is already running (pid %d)" % self._proc.pid)
        if not self.dir or not self.port:
            raise SlapdError("resume() needs a server that was started and paused")
        if not self._try_start(self.port, append_log=True):
            raise SlapdError("port %d was taken while slapd was paused" % self.port)
        return self

    def _terminate(self):
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _write_config(self):
        d = self.dir
        hashed = subprocess.run(["slappasswd", "-s", self.root_pw], capture_output=True,
                                text=True, env=_client_env(), timeout=30)
        if hashed.returncode != 0:
            raise SlapdError("slappasswd failed: " + hashed.stderr.strip())
        schemas = [os.path.join(SCHEMA_DIR, name + ".schema") for name in BASE_SCHEMAS]
        lines = ['include "%s"' % path for path in schemas + self.extra_schemas]
        lines += [
            'pidfile "%s"' % os.path.join(d, "slapd.pid"),
            'argsfile "%s"' % os.path.join(d, "slapd.args"),
            'modulepath "%s"' % MODULE_DIR,
            "moduleload back_mdb",
        ]
        lines += ["moduleload %s" % module for module in self.modules]
        lines += [
            "database mdb",
            'suffix "%s"' % self.suffix,
            'rootdn "%s"' % self.root_dn,
            "rootpw %s" % hashed.stdout.strip(),
            'directory "%s"' % os.path.join(d, "db"),
            "maxsize 16777216",
        ]
        text = "\n".join(lines) + "\n" + self.extra_acl
        if text and not text.endswith("\n"):
            text += "\n"
        text += DEFAULT_ACL
        if not text.endswith("\n"):
            text += "\n"
        text += "".join("overlay %s\n" % overlay for overlay in self.overlays)
        with open(os.path.join(d, "slapd.conf"), "w") as f:
            f.write(text)

    def _try_start(self, port, append_log=False):
        """Starts slapd on `port`. False if the port was taken meanwhile."""
        uri = "ldap://127.0.0.1:%d/" % port
        log_path = os.path.join(self.dir, "slapd.log")
        if self._log:
            self._log.close()
        # A file, not a pipe: nobody drains slapd's stderr while it runs. After
        # a pause the earlier output stays, but only this run's is inspected.
        self._log = open(log_path, "a+" if append_log else "w+")
        self._log_start = self._log.seek(0, os.SEEK_END)
        # "-d none" keeps slapd in the foreground (so self._proc.pid is slapd
        # itself) and prints only its error messages, which "-d 0" would hide.
        self._proc = subprocess.Popen(
            [SLAPD, "-f", "slapd.conf", "-h", uri, "-d", "none"],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            status = self._proc.poll()
            if status is not None:
                output = self._read_log()
                self._proc = None
                if "errno=98" in output or "Address already in use" in output:
                    return False
                raise SlapdError("slapd exited with status %d at start:\n%s" % (status, output))
            # Whatever took the port meanwhile may accept and never answer: the
            # short timeout gets us back to noticing that slapd itself exited.
            try:
                probe = subprocess.run(
                    ["ldapsearch", "-x", "-LLL", "-H", uri, "-b", "", "-s", "base", "-o",
                     "nettimeout=2", "namingContexts"],
                    capture_output=True, text=True, env=_client_env(), timeout=2)
            except subprocess.TimeoutExpired:
                continue
            if probe.returncode == 0 and self._proc.poll() is None:
                self.port, self.uri = port, uri
                return True
            time.sleep(0.1)
        output = self._read_log()
        raise SlapdError("slapd did not answer on %s within %.0f s:\n%s" %
                         (uri, _START_TIMEOUT, output))

    def _read_log(self):
        self._log.flush()
        self._log.seek(self._log_start)
        return self._log.read()

    # ---- clients ----

    def add_ldif(self, text):
        """Adds the entries of an LDIF text as the rootdn; raises on any error."""
        r = subprocess.run(
            ["ldapadd", "-x", "-H", self.uri, "-D", self.root_dn, "-w", self.root_pw],
            input=text, capture_output=True, text=True, env=_client_env(), timeout=60)
        if r.returncode != 0:
            raise SlapdError("ldapadd failed with exit %d:\n%s%s" %
                             (r.returncode, r.stdout, r.stderr))
        return r.stdout

    def search(self, base=None, scope="sub", filt="(objectClass=*)", attrs=()):
        """ldapsearch as the rootdn; returns the LDIF text (-LLL, no wrapping)."""
        r = subprocess.run(
            ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.uri, "-D",
             self.root_dn, "-w", self.root_pw, "-b", base or self.suffix, "-s", scope, filt,
             *attrs],
            capture_output=True, text=True, env=_client_env(), timeout=60)
        if r.returncode != 0:
            raise SlapdError("ldapsearch failed with exit %d:\n%s" % (r.returncode, r.stderr))
        return r.stdout

    def bind_ok(self, dn, password):
        """Whether a simple bind as `dn` with `password` (sent as UTF-8) succeeds.

        False only for invalidCredentials (49); any other failure (server
        gone, unwilling to perform, ...) raises, so that a broken setup is
        never mistaken for a wrong password.
        """
        r = subprocess.run(
            ["ldapwhoami", "-x", "-H", self.uri, "-D", dn, "-w", password.encode("utf-8")],
            capture_output=True, text=True, env=_client_env(), timeout=60)
        if r.returncode == 0:
            return True
        if r.returncode == _INVALID_CREDENTIALS:
            return False
        raise SlapdError("ldapwhoami as %s failed with exit %d:\n%s" %
                         (dn, r.returncode, r.stderr))
