"""Realistic test messages for the IMAP benchmark (bench/run_imap_bench.py).

Deterministic for a seed: the same seed gives the same bytes, so that both
servers of a run read identical folders and runs on different days read the
same mail. Each message has varied headers (Received chains, Cc, threading
headers, mailing-list headers, an X-Mailer on most, RFC 2047 encoded
subjects and names on some), a size between 2 and 50 KB (log-uniform, so
most are small as in a real inbox), and a fifth are MIME multipart
(text + HTML alternatives, or a text with a base64 attachment).

Some words are planted at known rates so that SEARCH has answers of a known
size: SEARCH_TERMS says which header or body holds which, and the generator
counts how many messages hold each (a check that both servers found them).
"""

import base64
import email.utils
import math
import os
import random

FIRST_NAMES = ["Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro",
               "Ines", "Jonas", "Kemal", "Lena", "Marta", "Nils", "Olga", "Pablo", "Rosa",
               "Sven", "Tomasz", "Ulla", "Vera", "Wim", "Yara", "Zoltan"]
LAST_NAMES = ["Andersen", "Berger", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia",
              "Horvath", "Ivanova", "Jensen", "Kowalski", "Laine", "Moreau", "Novak",
              "Olsen", "Petrov", "Rossi", "Schmidt", "Tanaka", "Urban", "Varga", "Weber"]
DOMAINS = ["example.org", "example.net", "mail.example.com", "lists.example.org",
           "corp.example", "uni.example.edu", "shop.example", "bank.example"]
MAILERS = ["Mozilla Thunderbird 115.6", "Apple Mail (2.3774)", "Microsoft Outlook 16.0",
           "Evolution 3.46.4", "Mutt/2.2.9", "K-9 Mail for Android", "Roundcube Webmail/1.6"]
SUBJECT_WORDS = ["meeting", "report", "quarterly", "update", "draft", "review", "budget",
                 "travel", "schedule", "lunch", "project", "release", "notes", "question",
                 "proposal", "contract", "minutes", "agenda", "feedback", "photos"]
LISTS = ["dev", "announce", "users", "security", "board"]
VOCABULARY = ("the of and to in is that for it as was with be by on not he this are or "
              "his from at which but have an they you were her she there been one all "
              "would their we him has when who will more no if out so said what up its "
              "about into than them can only other new some could time these two may "
              "first then do any like my now over such our man me even most made after "
              "also did many before must through back years where much your way well "
              "down should because each just those people how too little state good very "
              "make world still own see men work long get here between both life being "
              "under never day same another know while last might us great old year off "
              "come since against go came right used take three server folder message "
              "delivery invoice mailbox account password network backup storage").split()

# Planted search answers: (name, where, text, one message in `every`).
# "from" names a sender, "subject" a subject word, "mailer" the X-Mailer
# value, "body" a word in the text part.
SEARCH_TERMS = [
    ("FROM", "from", "Quirinus", 40),
    ("SUBJECT", "subject", "Kerfuffle", 50),
    ("HEADER", "mailer", "Pegasus Mail 4.8", 25),
    ("BODY", "body", "zygomorphic", 100),
    ("TEXT", "body", "zygomorphic", 100),
]


def _text_pool(rng, size):
    words = []
    length = 0
    while length < size:
        w = rng.choice(VOCABULARY)
        words.append(w)
        length += len(w) + 1
    # Lines of about 72 characters, paragraphs of a few lines.
    out, line = [], ""
    for w in words:
        if len(line) + len(w) + 1 > 72:
            out.append(line)
            line = ""
            if rng.random() < 0.15:
                out.append("")
        line = (line + " " + w) if line else w
    out.append(line)
    return "\n".join(out)


def _encoded_word(text):
    return "=?UTF-8?B?%s?=" % base64.b64encode(text.encode()).decode()


class Generator:
    def __init__(self, seed, hostname="bench.example"):
        self.rng = random.Random(seed)
        self.pool = _text_pool(self.rng, 256 * 1024)
        self.hostname = hostname
        self.hits = {name: 0 for name, _, _, _ in SEARCH_TERMS}
        self.base_time = 1_700_000_000

    def _person(self, planted_from):
        if planted_from:
            last = self.rng.choice(LAST_NAMES)
            return "Quirinus %s" % last, "quirinus@%s" % self.rng.choice(DOMAINS)
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return "%s %s" % (first, last), "%s.%s@%s" % (first.lower(), last.lower(),
                                                       self.rng.choice(DOMAINS))

    def _address(self, name, addr):
        if self.rng.random() < 0.1:
            return "%s <%s>" % (_encoded_word(name + " \u00e9"), addr)
        return "%s <%s>" % (name, addr)

    def _text(self, size, plant_word):
        start = self.rng.randrange(0, len(self.pool) - size - 1) if size < len(self.pool) else 0
        start = self.pool.find(" ", start) + 1
        text = self.pool[start:start + size]
        while len(text) < size:
            text += "\n" + self.pool[:size - len(text)]
        if plant_word:
            cut = self.rng.randrange(0, max(1, len(text) - 1))
            cut = text.find(" ", cut) + 1 or len(text)
            text = text[:cut] + "zygomorphic " + text[cut:]
        return text

    def message(self, i):
        """Message number i (0-based): (bytes, internal date as seconds, flags)."""
        rng = self.rng
        plant = {name: (i % every) == (every // 2) for name, _, _, every in SEARCH_TERMS}
        when = self.base_time + i * 1800 + rng.randrange(0, 1800)
        from_name, from_addr = self._person(plant["FROM"])
        to_name, to_addr = "Bench User", "big@bench.example"
        headers = []
        hops = rng.randint(1, 3)
        for h in range(hops):
            headers.append(
                "Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\n\tby %s (hostmail) with "
                "ESMTPS id %08X\n\tfor <%s>; %s" %
                (h, rng.choice(DOMAINS), h, rng.choice(DOMAINS), rng.randint(1, 254),
                 self.hostname, rng.getrandbits(32), to_addr,
                 email.utils.formatdate(when - h * 7, localtime=False)))
        headers.append("Return-Path: <%s>" % from_addr)
        headers.append("Date: %s" % email.utils.formatdate(when, localtime=False))
        headers.append("From: %s" % self._address(from_name, from_addr))
        headers.append("To: %s <%s>" % (to_name, to_addr))
        if rng.random() < 0.3:
            cc = [self._person(False) for _ in range(rng.randint(1, 4))]
            headers.append("Cc: " + ",\n ".join(self._address(n, a) for n, a in cc))
        words = [rng.choice(SUBJECT_WORDS) for _ in range(rng.randint(2, 7))]
        if plant["SUBJECT"]:
            words.insert(rng.randint(0, len(words)), "Kerfuffle")
        subject = " ".join(words).capitalize()
        if rng.random() < 0.3:
            subject = "Re: " + subject
        if rng.random() < 0.08 and not plant["SUBJECT"]:
            subject = _encoded_word(subject + " \u2013 \u00fcbersicht")
        headers.append("Subject: %s" % subject)
        msgid = "<%d.%08x@%s>" % (i, rng.getrandbits(32), from_addr.split("@")[1])
        headers.append("Message-ID: %s" % msgid)
        if i > 0 and rng.random() < 0.3:
            parent = "<%d.ref@%s>" % (rng.randrange(0, i), rng.choice(DOMAINS))
            headers.append("In-Reply-To: %s" % parent)
            headers.append("References: %s" % parent)
        if plant["HEADER"]:
            headers.append("X-Mailer: Pegasus Mail 4.8")
        elif rng.random() < 0.7:
            headers.append("X-Mailer: %s" % rng.choice(MAILERS))
        if rng.random() < 0.2:
            name = rng.choice(LISTS)
            headers.append("List-Id: %s list <%s.lists.example.org>" % (name, name))
            headers.append("List-Unsubscribe: <mailto:%s-leave@lists.example.org>" % name)
        headers.append("MIME-Version: 1.0")
        # Size: log-uniform between 2 and 50 KB, headers included.
        size = int(math.exp(rng.uniform(math.log(2048), math.log(50 * 1024))))
        head = "\n".join(headers) + "\n"
        body_size = max(200, size - len(head) - 60)
        kind = rng.random()
        if kind < 0.1:
            boundary = "=_alt_%08x" % rng.getrandbits(32)
            text = self._text(body_size // 2, plant["BODY"])
            html = "<html><body><p>%s</p></body></html>" % self._text(
                body_size // 2 - 40, False).replace("\n\n", "</p>\n<p>")
            body = ("Content-Type: multipart/alternative; boundary=\"%s\"\n\n"
                    "This is a multi-part message in MIME format.\n\n"
                    "--%s\nContent-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n%s\n\n"
                    "--%s\nContent-Type: text/html; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n%s\n\n--%s--\n" %
                    (boundary, boundary, text, boundary, html, boundary))
        elif kind < 0.2:
            boundary = "=_mix_%08x" % rng.getrandbits(32)
            text_size = min(body_size // 3, 4000)
            text = self._text(text_size, plant["BODY"])
            raw = rng.randbytes((body_size - text_size) * 3 // 4)
            b64 = base64.encodebytes(raw).decode()
            name = "%s-%d.pdf" % (rng.choice(SUBJECT_WORDS), i)
            body = ("Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
                    "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n\n"
                    "--%s\nContent-Type: application/pdf; name=\"%s\"\n"
                    "Content-Disposition: attachment; filename=\"%s\"\n"
                    "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n" %
                    (boundary, boundary, text, boundary, name, name, b64, boundary))
        else:
            body = ("Content-Type: text/plain; charset=us-ascii\n"
                    "Content-Transfer-Encoding: 7bit\n\n%s\n" %
                    self._text(body_size, plant["BODY"]))
        for name, where, _, _ in SEARCH_TERMS:
            if plant[name if where != "body" else "BODY"]:
                self.hits[name] += 1
        flags = ""
        r = rng.random()
        if r < 0.05:
            flags += "F"
        if rng.random() < 0.15:
            flags += "R"
        if rng.random() < 0.85:
            flags += "S"
        return (head + body).encode(), when, "".join(sorted(flags))


def write_corpus(folder, count, seed):
    """Writes `count` messages as Maildir file names (base:2,flags) into
    `folder`; returns (names, planted hit counts, total bytes)."""
    os.makedirs(folder, exist_ok=True)
    gen = Generator(seed)
    names, total = [], 0
    for i in range(count):
        data, when, flags = gen.message(i)
        wsize = len(data) + data.count(b"\n")
        name = "%d.M%06dP4242.bench,S=%d,W=%d:2,%s" % (when, i, len(data), wsize, flags)
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (when, when))
        names.append(name)
        total += len(data)
    return names, gen.hits, total
