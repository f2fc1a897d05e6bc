"""Runs one end-to-end test module for CTest, as `python3 -m unittest -v`
would, but fails when every test in it was skipped: a suite that tested
nothing must not count as passed (a missing tool or privilege then shows)."""

import sys
import unittest


def main(name):
    suite = unittest.defaultTestLoader.loadTestsFromName(name)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.testsRun == 0 or len(result.skipped) == result.testsRun:
        print("%s: every test was skipped (%d); nothing was tested" % (name, result.testsRun),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
