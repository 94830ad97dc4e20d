#!/usr/bin/env python3
"""Validates PDFs against PDF/A-3b with page-validation (PyPI), an
independent PDF/A-1/2/3 checker, and prints one line per file:

    OK <file>: PDF/A-3b, <passed>/<total> rules
    FAIL <file>: <rule id> <message> [object N G]   (one line per failure)

Exit status 0 when every file is compliant, 1 when one is not, 2 when
page-validation is not installed (`python3 -m pip install page-validation`).
Usage: scripts/pdfa-check.py FILE.pdf...
"""
import sys

try:
    import page
except ImportError:
    print("page-validation is not installed: python3 -m pip install page-validation", file=sys.stderr)
    sys.exit(2)


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        report = page.validate_pdf(path, profile="3b")
        if report.is_compliant and not report.failures:
            print(f"OK {path}: PDF/A-3b, {report.rules.passed}/{report.rules.total} rules")
            continue
        failed = True
        for failure in report.failures:
            where = ""
            if failure.object_id is not None:
                where = f" [object {failure.object_id.object_number} {failure.object_id.generation}]"
            print(f"FAIL {path}: {failure.rule_id} {failure.message}{where}")
        if not report.failures:
            print(f"FAIL {path}: not compliant ({report.rules.failed} rules failed)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
