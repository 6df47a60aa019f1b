#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate JSON documents against a JSON Schema (draft 2020-12).

usage: validate-json.py SCHEMA FILE...   (exit 0 when every FILE is valid, 1 when the schema
                                          rejects one, 2 when one is not JSON or
                                          cannot be read, or the schema is invalid)
       validate-json.py --serve          (one request a line on stdin: SCHEMA FILE...,
                                          separated by tabs; each answer is what the
                                          first form prints, then "=exit N")
The second form answers many requests from one process: Python and jsonschema
start once, not once a document (tests/pkg/schema.sh asks about ~100).
"""
import json
import sys

import jsonschema


def validate(argv, out):
    with open(argv[0]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = notjson = 0
    for path in argv[1:]:
        with open(path) as f:
            try:
                doc = json.load(f)
            except ValueError as e:
                print(f"{path}: not JSON: {e}", file=out)
                notjson += 1
                continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}", file=out)
        bad += bool(errors)
    return 2 if notjson else 1 if bad else 0


def serve():
    for line in sys.stdin:
        argv = line.rstrip("\n").split("\t")
        try:
            st = validate(argv, sys.stdout)
        except Exception as e:  # an invalid schema or a missing file: that request fails, as the first form would
            print(f"{type(e).__name__}: {e}".replace("\n", " "))
            st = 2
        print(f"=exit {st}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve())
    try:
        sys.exit(validate(sys.argv[1:], sys.stdout))
    except Exception as e:  # an invalid schema or a missing file
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
