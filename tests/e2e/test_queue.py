"""`hostmail queue list|retry|delete` through the real binary.

The entries are written by a small writer of the on-disk format of
docs/queue-format.md, so this test also pins that format: if the C++ side
changes it, these entries stop being listed."""

import os
import pwd
import re
import shutil
import subprocess
import time
import tomllib
import unittest

from hostmail_env import BIN, VMAIL_GROUP, VMAIL_USER, HostmailTestCase, needs_root, needs_tools

EX_DATAERR, EX_NOUSER, EX_NOPERM = 65, 67, 77


def encode(field, keep_spaces=False):
    """A field as docs/queue-format.md says: %XX for odd bytes, '-' for ''."""
    if field == "":
        return "-"
    if field == "-":
        return "%2D"
    out = []
    for b in field.encode("utf-8"):
        plain = 0x20 < b < 0x7F and b != ord("%")
        if b == 0x20 and keep_spaces:
            plain = True
        out.append(chr(b) if plain else "%%%02X" % b)
    return "".join(out)


class QueueWriter:
    """Writes queue entries the way the daemon does (tmp/, then active/)."""

    def __init__(self, state_dir):
        self.root = os.path.join(state_dir, "queue")
        for sub in ("tmp", "active"):
            os.makedirs(os.path.join(self.root, sub), mode=0o700, exist_ok=True)
        self.counter = 0

    def add(self, sender, recipients, message, arrived=None, owner=None):
        """recipients: (state, attempts, next_unix, address, original, last_error), the
        version 1 format (no routes, as before an upgrade), or (state, attempts,
        next_unix, transport, address, original, last_error), version 2.
        `owner`: (user, group) to give the files before they enter active/."""
        self.counter += 1
        arrived = int(arrived if arrived is not None else time.time())
        ident = f"{arrived}.000000P{os.getpid()}Q{self.counter}R0000abcd"
        version = 2 if recipients and len(recipients[0]) == 7 else 1
        lines = [f"hostmail-queue {version}", f"sender {encode(sender)}", f"arrived {arrived}"]
        for r in recipients:
            state, attempts, next_unix = r[:3]
            address, original, error = r[-3:]
            route = f"{r[3]} " if version == 2 else ""
            lines.append(f"rcpt {state} {attempts} {next_unix} {route}{encode(address)} "
                         f"{encode(original)} {encode(error, keep_spaces=True)}")
        envelope = "\n".join(lines) + "\n\n"
        for suffix, data in ((".msg", message), (".env", envelope.encode())):
            tmp = os.path.join(self.root, "tmp", ident + suffix)
            with open(tmp, "wb") as f:
                f.write(data)
            if owner:
                shutil.chown(tmp, *owner)
            os.rename(tmp, os.path.join(self.root, "active", ident + suffix))
        return ident

    def envelope(self, ident):
        with open(os.path.join(self.root, "active", ident + ".env"), encoding="utf-8") as f:
            return f.read()


class QueueTest(HostmailTestCase):
    def setUp(self):
        super().setUp()
        with open(self.config, "rb") as f:
            state_dir = tomllib.load(f)["storage"]["state_dir"]
        self.state_dir = state_dir
        self.writer = QueueWriter(state_dir)

    def test_empty_queue(self):
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])

    def test_list_shows_every_recipient(self):
        later = int(time.time()) + 3 * 3600
        ident = self.writer.add(
            "", [("deferred", 2, later, "bob smith@remote.example", "bob@example.org",
                  "451 4.4.1 connection refused"),
                 ("pending", 0, 0, "ünï@bücher.example", "-", "")],
            b"Subject: hi\r\n\r\n\x00\xff body\r\n", arrived=1732540000)
        listed = self.ok("queue", "list", "--json").json()
        self.assertEqual(len(listed), 2)
        first, second = listed
        self.assertEqual(first["id"], ident)
        # The null sender of a bounce shows as SMTP writes it.
        self.assertEqual(first["sender"], "<>")
        self.assertEqual(first["arrived"], "2024-11-25T13:06:40Z")
        self.assertEqual(first["size"], len(b"Subject: hi\r\n\r\n\x00\xff body\r\n"))
        self.assertEqual(first["recipient"], "bob smith@remote.example")
        self.assertEqual(first["state"], "deferred")
        self.assertEqual(first["attempts"], 2)
        self.assertEqual(first["last_error"], "451 4.4.1 connection refused")
        self.assertEqual(first["next_attempt"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later)))
        self.assertEqual(second["recipient"], "ünï@bücher.example")
        self.assertEqual(second["state"], "pending")
        # No attempt time was ever set: null, not the Unix epoch.
        self.assertIsNone(second["next_attempt"])
        text = self.ok("queue", "list").out
        self.assertIn(ident, text)
        self.assertIn("bob smith@remote.example", text)
        self.assertNotIn("1970", text)
        rows = text.splitlines()
        header = rows[0].split()
        self.assertEqual(header[1], "sender")
        self.assertEqual(rows[1].split()[1], "<>")
        pending = [r for r in rows if "bücher.example" in r][0]
        self.assertIn(" - ", pending)

    def test_half_written_and_foreign_files_are_ignored(self):
        ident = self.writer.add("a@example.org", [("pending", 0, 0, "b@example.org", "", "")],
                                b"m")
        active = os.path.join(self.writer.root, "active")
        with open(os.path.join(self.writer.root, "tmp", "9.9P9Q9R9.env"), "w") as f:
            f.write("hostmail-queue 1\nsender -\n")
        with open(os.path.join(active, "8.8P8Q8R8.msg"), "w") as f:
            f.write("a message whose envelope never arrived")
        with open(os.path.join(active, "7.7P7Q7R7.env"), "w") as f:
            f.write("hostmail-queue 2\n\n")
        with open(os.path.join(active, "7.7P7Q7R7.msg"), "w") as f:
            f.write("m")
        listed = self.ok("queue", "list", "--json").json()
        self.assertEqual([e["id"] for e in listed], [ident])

    def test_retry_makes_deferred_recipients_due(self):
        later = int(time.time()) + 4 * 3600
        rcpt = [("deferred", 3, later, "x@remote.example", "x@remote.example", "451 later")]
        one = self.writer.add("s@example.org", rcpt, b"1", arrived=1000)
        two = self.writer.add("s@example.org", rcpt, b"2", arrived=2000)
        self.ok("queue", "retry", one)
        now = time.time() + 1

        def next_unix(ident):
            line = [l for l in self.writer.envelope(ident).splitlines() if l.startswith("rcpt ")][0]
            return int(line.split(" ")[3])

        self.assertLessEqual(next_unix(one), now)
        self.assertEqual(next_unix(two), later)
        # The rest of the envelope is untouched.
        self.assertIn("rcpt deferred 3 ", self.writer.envelope(one))
        self.assertIn(" 451 later\n", self.writer.envelope(one))
        self.ok("queue", "retry")
        self.assertLessEqual(next_unix(two), now)
        self.fails(EX_NOUSER, "queue", "retry", "1.1P1Q1R1")

    def test_delete(self):
        keep = self.writer.add("s@example.org", [("pending", 0, 0, "a@example.org", "", "")], b"k")
        gone = self.writer.add("s@example.org", [("pending", 0, 0, "b@example.org", "", "")], b"g")
        r = self.ok("queue", "delete", gone)
        self.assertIn(gone, r.err)
        self.assertEqual([e["id"] for e in self.ok("queue", "list", "--json").json()], [keep])
        self.assertFalse(os.path.exists(os.path.join(self.writer.root, "active", gone + ".msg")))
        self.fails(EX_NOUSER, "queue", "delete", gone)
        self.fails(EX_DATAERR, "queue", "delete", "../../hostmail.toml")
        self.assertTrue(os.path.exists(self.config))

    def test_a_postmaster_sees_and_changes_only_the_mail_of_their_domains(self):
        # Issue 12: `queue` goes through the administration service like
        # every other command, so --as limits it as it limits the rest.
        for domain in ("one.example", "two.example"):
            self.ok("domain", "add", domain)
        for address in ("pm@one.example", "joe@one.example", "ann@two.example"):
            self.ok("account", "add", address, "--password-stdin", stdin="pw\n")
        self.ok("postmaster", "grant", "one.example", "pm@one.example")
        later = int(time.time()) + 3 * 3600

        def waiting(address):
            return ("deferred", 1, later, address, address, "451 later")

        from_one = self.writer.add("joe@one.example", [waiting("x@far.example")], b"1")
        to_both = self.writer.add("x@far.example",
                                  [waiting("joe@one.example"), waiting("ann@two.example")], b"2")
        to_two = self.writer.add("x@far.example", [waiting("ann@two.example")], b"3")

        seen = self.ok("queue", "list", "--json", as_user="pm@one.example").json()
        self.assertEqual(sorted((e["id"], e["recipient"]) for e in seen),
                         sorted([(from_one, "x@far.example"), (to_both, "joe@one.example")]))
        self.assertEqual(len(self.ok("queue", "list", "--json").json()), 4)

        # Another domain's mail is "not in the queue" for them...
        r = self.fails(EX_NOUSER, "queue", "delete", to_two, as_user="pm@one.example")
        self.assertIn(f"no message {to_two} in the queue", r.err)
        self.fails(EX_NOUSER, "queue", "retry", to_two, as_user="pm@one.example")
        # ...and mail another domain still waits for is not theirs to delete.
        self.fails(EX_NOPERM, "queue", "delete", to_both, as_user="pm@one.example")
        self.ok("queue", "retry", as_user="pm@one.example")
        self.assertIn(f" {later} ", self.writer.envelope(to_two))
        self.assertNotIn(f" {later} ", self.writer.envelope(from_one))
        self.ok("queue", "delete", from_one, as_user="pm@one.example")
        self.assertEqual(sorted(e["id"] for e in self.ok("queue", "list", "--json").json()),
                         sorted([to_both, to_both, to_two]))

        # An account that administers nothing sees no queue at all.
        self.fails(EX_NOPERM, "queue", "list", as_user="joe@one.example")
        self.ok("postmaster", "revoke", "one.example", "pm@one.example")
        self.fails(EX_NOPERM, "queue", "list", as_user="pm@one.example")


class QueueAndDirectoryApartTest(HostmailTestCase):
    """A command opens what it uses: the queue can be looked at while the
    directory cannot be opened, and a directory command run as root leaves
    the daemon's queue folder alone (pins the CLI's lazy opening, issue 12)."""

    def paths(self):
        with open(self.config, "rb") as f:
            config = tomllib.load(f)
        state_dir = os.path.join(self.dir, config["storage"]["state_dir"])
        db = os.path.join(self.dir, config["directory"]["sqlite"]["path"])
        return state_dir, db

    def test_queue_list_needs_no_directory(self):
        state_dir, db = self.paths()
        ident = QueueWriter(state_dir).add("a@far.example",
                                           [("pending", 0, 0, "b@far.example", "", "")], b"m")
        os.rename(db, db + ".away")
        self.fails(EX_NOUSER, "domain", "list")
        self.assertEqual([e["id"] for e in self.ok("queue", "list", "--json").json()], [ident])
        self.ok("queue", "retry")
        # A postmaster's roles are in the directory, though.
        self.assertNotEqual(self.run_hm("queue", "list", as_user="pm@one.example").code, 0)

    def test_directory_commands_leave_the_queue_folder_alone(self):
        state_dir, _ = self.paths()
        self.ok("domain", "add", "one.example")
        self.ok("account", "add", "a@one.example", "--password-stdin", stdin="pw\n")
        self.ok("domain", "list")
        self.assertFalse(os.path.exists(os.path.join(state_dir, "queue")))


class QueueRunnerTest(HostmailTestCase):
    """The daemon's queue runner and what other processes write into its queue."""

    def test_entries_queued_by_another_process_are_delivered_or_tried_by_the_relay(self):
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "john@example.org", "--password-stdin", stdin="pw\n")
        self.start_server()  # its queue folder, made by the daemon
        with open(self.config, "rb") as f:
            self.writer = QueueWriter(tomllib.load(f)["storage"]["state_dir"])
        owner = (VMAIL_USER, VMAIL_GROUP) if os.geteuid() == 0 else None
        message = b"Subject: queued elsewhere\r\n\r\nbody\r\n"
        # Written while the daemon runs, as `hostmail deliver` would: an entry
        # in the format of an older version (no routes), one in the current
        # format, and one for elsewhere, which the relay tries (its DNS
        # server, a loopback port where nothing answers, fails: deferred).
        self.writer.add("s@example.org", [("pending", 0, 0, "john@example.org",
                                           "john@example.org", "")], message, owner=owner)
        self.writer.add("s@example.org", [("pending", 0, 0, "virtual", "john@example.org",
                                           "john@example.org", "")], message, owner=owner)
        far = self.writer.add("s@example.org", [("pending", 0, 0, "remote:far.example",
                                                 "x@far.example", "x@far.example", "")],
                              message, owner=owner)
        deadline = time.time() + 20
        while time.time() < deadline and len(self.maildir_files("example.org/john")) < 2:
            time.sleep(0.2)
        self.assertEqual(len(self.maildir_files("example.org/john")), 2, self.server_log())
        deadline = time.time() + 10
        while time.time() < deadline:
            listed = self.ok("queue", "list", "--json").json()
            if listed and listed[0]["attempts"] > 0:
                break
            time.sleep(0.2)
        self.assertEqual([(e["id"], e["transport"], e["state"], e["attempts"]) for e in listed],
                         [(far, "remote:far.example", "deferred", 1)], listed)
        self.assertTrue(listed[0]["last_error"].startswith("4.4.3 "), listed)
        self.assertTrue(self.writer.envelope(far).startswith("hostmail-queue 2\n"))


@needs_tools("strace")
class QueueFoldersDurableTest(HostmailTestCase):
    def test_first_start_fsyncs_the_parents_of_new_folders(self):
        # The queue's folders are made at first use; their names are entries
        # of their parents, which must be fsynced before anything in them
        # can be called durable.
        with open(self.config, "rb") as f:
            state_dir = os.path.realpath(
                os.path.join(self.dir, tomllib.load(f)["storage"]["state_dir"]))
        self.assertFalse(os.path.exists(os.path.join(state_dir, "queue")))
        trace = os.path.join(self.dir, "trace")
        # LeakSanitizer cannot run under ptrace; the sanitizer build's leak
        # check is left to the other tests.
        env = dict(os.environ,
                   ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"))
        r = subprocess.run(["strace", "-f", "-y", "-qq", "-o", trace, "-e", "trace=fsync",
                            BIN, "--config", self.config, "queue", "list"],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isdir(os.path.join(state_dir, "queue", "active")))
        with open(trace) as f:
            synced = set(re.findall(r"fsync\(\d+<([^>]*)>\)\s*= 0", f.read()))
        self.assertIn(os.path.join(state_dir, "queue"), synced)  # holds tmp/ and active/
        self.assertIn(state_dir, synced)                         # holds queue/



@needs_root("the attack is on code that runs as root")
class QueueLinkAttackTest(HostmailTestCase):
    """The daemon (vmail) owns <state_dir>/queue, so a compromised daemon can
    replace queue/tmp by a link to a folder of root's. Root then runs
    `hostmail queue list` or starts `hostmail serve`: neither may remove,
    nor chown, anything there; both refuse, naming the link."""

    def setUp(self):
        super().setUp()
        with open(self.config, "rb") as f:
            self.state_dir = tomllib.load(f)["storage"]["state_dir"]
        self.queue = os.path.join(self.state_dir, "queue")
        QueueWriter(self.state_dir)
        # As `serve` leaves them: everything vmail's.
        for path in (self.dir, self.state_dir, self.queue, os.path.join(self.queue, "tmp"),
                     os.path.join(self.queue, "active")):
            shutil.chown(path, VMAIL_USER, VMAIL_GROUP)
        # A folder of root's, as /etc is: an old root file that looks like a
        # crash leftover, a root 0600 file, a subfolder.
        self.target = os.path.join(self.dir, "root-only")
        os.mkdir(self.target, 0o755)
        self.old = os.path.join(self.target, "1.1P1Q1R1.msg")
        self.secret = os.path.join(self.target, "shadow")
        for path, mode in ((self.old, 0o644), (self.secret, 0o600)):
            with open(path, "w") as f:
                f.write("root's\n")
            os.chmod(path, mode)
        os.mkdir(os.path.join(self.target, "sub"), 0o700)
        two_hours_ago = time.time() - 7200
        os.utime(self.old, (two_hours_ago, two_hours_ago))

    def link(self, sub):
        folder = os.path.join(self.queue, sub)
        shutil.rmtree(folder)
        os.symlink(self.target, folder)
        return folder

    def assert_untouched(self):
        for name in ("1.1P1Q1R1.msg", "shadow", "sub", "."):
            st = os.lstat(os.path.join(self.target, name))
            self.assertEqual((st.st_uid, st.st_gid), (0, 0), name)
        self.assertEqual(os.stat(self.secret).st_mode & 0o777, 0o600)
        self.assertEqual(sorted(os.listdir(self.target)), ["1.1P1Q1R1.msg", "shadow", "sub"])

    def serve_must_refuse(self):
        proc = subprocess.run([BIN, "--config", self.config, "serve"], capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, EX_NOPERM, proc.stderr)
        return proc.stderr

    def test_queue_list_as_root_refuses_a_linked_tmp(self):
        folder = self.link("tmp")
        r = self.fails(EX_NOPERM, "queue", "list")
        self.assertIn(f"{folder} is a symbolic link", r.err)
        self.assert_untouched()

    def test_serve_as_root_refuses_a_linked_tmp_or_active(self):
        for sub in ("tmp", "active"):
            folder = self.link(sub)
            err = self.serve_must_refuse()
            self.assertIn(f"{folder} is a symbolic link", err)
            self.assert_untouched()
            os.unlink(folder)
            os.mkdir(folder, 0o700)
            shutil.chown(folder, VMAIL_USER, VMAIL_GROUP)

    def test_serve_as_root_chowns_no_linked_entry(self):
        # Links and hard links to root's files planted among the entries:
        # `serve` starts (they are not its files) and gives none of them away.
        active = os.path.join(self.queue, "active")
        os.symlink(self.secret, os.path.join(active, "2.2P2Q2R2.env"))
        os.symlink(os.path.join(self.target, "sub"), os.path.join(self.queue, "tmp", "x"))
        os.link(self.secret, os.path.join(active, "3.3P3Q3R3.msg"))
        self.start_server()
        deadline = time.time() + 10
        while "running as" not in self.server_log() and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("running as", self.server_log())
        self.assert_untouched()
        self.assertEqual(self.ok("queue", "list", "--json").json(), [])
        self.assert_untouched()


@needs_root("the attack is on code that runs as root")
class DeliverAsRootLinkTest(HostmailTestCase):
    """`hostmail deliver` run as root (by an MTA) writes into virtual_base,
    which is vmail's: a mailbox that vmail replaced by a link to a folder of
    root's must get nothing there, and nothing there may be chowned."""

    def test_a_linked_mailbox_gets_nothing(self):
        self.ok("domain", "add", "example.org")
        self.ok("account", "add", "v@example.org", "--password-stdin", stdin="pw\n")
        self.ok("account", "add", "w@example.org", "--password-stdin", stdin="pw\n")
        for folder in ("", "state", "vmail", "vmail/domains", "vmail/domains/example.org"):
            path = os.path.join(self.dir, folder)
            os.makedirs(path, exist_ok=True)
            shutil.chown(path, VMAIL_USER, VMAIL_GROUP)
        shutil.chown(os.path.join(self.dir, "state", "directory.db"), VMAIL_USER, VMAIL_GROUP)
        target = os.path.join(self.dir, "root-only")
        os.mkdir(target, 0o755)
        os.symlink(target, os.path.join(self.maildirs, "example.org", "v"))

        r = self.run_hm("deliver", "--recipient", "v@example.org", stdin="Subject: x\n\nx\n")
        self.assertEqual(r.code, 75, r)  # temporary: the calling MTA keeps the message
        self.assertEqual(os.listdir(target), [])
        st = os.stat(target)
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))

        # An ordinary mailbox is written as vmail, as the daemon writes it.
        r = self.run_hm("deliver", "--recipient", "w@example.org", stdin="Subject: y\n\ny\n")
        self.assertEqual(r.code, 0, r)
        mailbox = os.path.join(self.maildirs, "example.org", "w")
        files = os.listdir(os.path.join(mailbox, "new"))
        self.assertEqual(len(files), 1)
        vmail_uid = pwd.getpwnam(VMAIL_USER).pw_uid
        self.assertEqual(os.stat(os.path.join(mailbox, "new", files[0])).st_uid, vmail_uid)
        self.assertEqual(os.stat(mailbox).st_uid, vmail_uid)


if __name__ == "__main__":
    unittest.main()
