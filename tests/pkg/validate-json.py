#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate JSON documents against a JSON Schema (draft 2020-12).

usage: validate-json.py SCHEMA FILE...   (exit 0 when every FILE is valid)
"""
import json
import sys

import jsonschema


def main(argv):
    with open(argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        with open(path) as f:
            try:
                doc = json.load(f)
            except ValueError as e:
                print(f"{path}: not JSON: {e}")
                bad += 1
                continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
