"""Verifies DKIM signatures with dkimpy (Debian's python3-dkim), offline.

Run by test_dkim.py with the interpreter that has the module (Debian's
python3: the python3 first on PATH may be another). Reads JSON on stdin:
{"records": {"sel._domainkey.example.org.": "v=DKIM1; ..."},
 "messages": ["<base64 of a signed message>", ...]}
and prints a JSON list: for each message, true when its (first) signature
verifies against those records, false otherwise. No DNS is asked: the
records are what `hostmail dkim keygen` printed."""

import base64
import json
import sys

import dkim


def main():
    request = json.load(sys.stdin)
    records = {name.encode(): txt.encode() for name, txt in request["records"].items()}

    def dnsfunc(name, timeout=5):
        return records.get(name)

    results = []
    for text in request["messages"]:
        message = base64.b64decode(text)
        try:
            results.append(bool(dkim.verify(message, dnsfunc=dnsfunc)))
        except dkim.DKIMException:
            results.append(False)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
