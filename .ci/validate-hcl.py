"""Parses Terraform files with python-hcl2 (the HCL2 parser from PyPI);
exits 1 if any fails to parse.

Usage: python3 .ci/validate-hcl.py FILE...
"""

import sys

import hcl2


def main(paths):
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            parsed = hcl2.loads(text)
        except Exception as err:  # noqa: BLE001 - report any parser failure
            print(f"{path}: FAILED to parse: {err}")
            failed += 1
            continue
        resources = parsed.get("resource", [])
        print(f"{path}: ok ({len(resources)} resource block(s))")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
