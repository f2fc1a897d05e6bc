"""The IMAP client side of bench/run_imap_bench.py: raw sockets, no imaplib.

imaplib parses every response line by line in Python and would take longer
than the server to read a 20,000-line FETCH; this client only looks for the
tagged completion line at the end of what it has received (tags are unique,
so a literal in the data cannot fake one) and hands back the raw bytes.
The LOGIN load runs in worker processes (multiprocessing), one blocking
connection at a time each, and reports its own CPU time so that the report
can say how far the client was from being the bottleneck.
"""

import resource
import socket
import time


class ImapError(Exception):
    pass


class Connection:
    """One IMAP connection with blocking I/O."""

    def __init__(self, port, source=None, timeout=120):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.counter = 0
        self.greeting = self.read_line()
        if not self.greeting.startswith(b"* OK"):
            raise ImapError("greeting: %r" % self.greeting[:200])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ImapError("the server closed the connection")
        self.buf += chunk

    def read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            self._fill()

    def send(self, data):
        self.sock.sendall(data)

    def start(self, command):
        """Sends a command; returns its tag."""
        self.counter += 1
        tag = b"b%d" % self.counter
        self.send(tag + b" " + command.encode() + b"\r\n")
        return tag

    def finish(self, tag, check=True):
        """Reads up to the tagged completion of `tag`: (status line, data
        before it)."""
        needle = b"\r\n" + tag + b" "
        start = 0
        while True:
            if self.buf.startswith(tag + b" "):
                at = -2
            else:
                at = self.buf.find(needle, start)
            if at != -1:
                end = self.buf.find(b"\r\n", at + 2)
                if end >= 0:
                    data = bytes(self.buf[:at + 2])
                    status = bytes(self.buf[at + 2:end])
                    del self.buf[:end + 2]
                    if check and not status.startswith(tag + b" OK"):
                        raise ImapError(status.decode(errors="replace")[:300])
                    return status, data
            start = max(0, len(self.buf) - len(needle))
            self._fill()

    def command(self, command, check=True):
        return self.finish(self.start(command), check)

    def timed(self, command):
        """(seconds, data) of a command, from sending it to its completion."""
        t = time.perf_counter()
        _, data = self.command(command)
        return time.perf_counter() - t, data

    def login(self, user, password):
        self.command("LOGIN %s %s" % (quote(user), quote(password)))

    def capabilities(self):
        _, data = self.command("CAPABILITY")
        for line in data.split(b"\r\n"):
            if line.startswith(b"* CAPABILITY "):
                return set(line[13:].decode().upper().split())
        return set()

    def append(self, mailbox, message, literal_plus):
        """APPEND with a synchronizing literal, or LITERAL+ when offered."""
        self.counter += 1
        tag = b"b%d" % self.counter
        head = b"%s APPEND %s {%d%s}\r\n" % (tag, quote(mailbox).encode(), len(message),
                                              b"+" if literal_plus else b"")
        if literal_plus:
            self.send(head + message + b"\r\n")
        else:
            self.send(head)
            line = self.read_line()
            if not line.startswith(b"+"):
                raise ImapError("APPEND: %r" % line[:200])
            self.send(message + b"\r\n")
        return self.finish(tag)


def quote(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def login_worker(args):
    """One of the parallel LOGIN+LOGOUT clients (a multiprocessing worker):
    connect, greeting, LOGIN, LOGOUT, close, over and over from start_at for
    `seconds`. Returns (logins, failures, first failure, latencies in s, CPU s)."""
    port, user, password, start_at, seconds = args
    cpu0 = cpu_self()
    while time.time() < start_at:
        time.sleep(min(0.01, max(0.0, start_at - time.time())))
    end = start_at + seconds
    done, failed, first_error, latencies = 0, 0, None, []
    login = b"a LOGIN %s %s\r\n" % (quote(user).encode(), quote(password).encode())
    while time.time() < end:
        t = time.perf_counter()
        c = None
        try:
            c = Connection(port, timeout=30)
            c.send(login)
            status, _ = c.finish(b"a", check=False)
            if not status.startswith(b"a OK"):
                raise ImapError(status.decode(errors="replace")[:200])
            c.send(b"z LOGOUT\r\n")
            c.finish(b"z", check=False)
            done += 1
            latencies.append(time.perf_counter() - t)
        except (OSError, ImapError) as e:
            failed += 1
            first_error = first_error or "%s: %s" % (type(e).__name__, e)
            time.sleep(0.01)
        finally:
            if c:
                c.close()
    return done, failed, first_error, latencies, cpu_self() - cpu0


def raise_nofile(want):
    """Raises RLIMIT_NOFILE to `want` (the hard limit too when allowed);
    returns the soft limit reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_idle(port, accounts, count, sources, batch=100):
    """`count` connections, each logged in (accounts taken in turn, source
    addresses in turn) and in IDLE; returns the list of open Connections."""
    raise_nofile(count + 1000)
    conns = []
    i = 0
    while i < count:
        group = []
        for j in range(i, min(count, i + batch)):
            c = Connection(port, source=sources[j % len(sources)], timeout=60)
            user, password = accounts[j % len(accounts)]
            group.append((c, c.start("LOGIN %s %s" % (quote(user), quote(password)))))
        for c, tag in group:
            c.finish(tag)
        idle = [(c, c.start("IDLE")) for c, _ in group]
        for c, _ in idle:
            line = c.read_line()
            while line.startswith(b"* "):
                line = c.read_line()
            if not line.startswith(b"+"):
                raise ImapError("IDLE: %r" % line[:200])
        conns.extend(c for c, _ in group)
        i += batch
    return conns

