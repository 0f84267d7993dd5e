#!/usr/bin/env python3
"""validate_oscal.py SCHEMA FILE: validate an OSCAL JSON document (FILE,
or - for stdin) against NIST's JSON schema (draft-07) with jsonschema.

NIST's patterns use Unicode property escapes (\\p{L}, \\p{N} in the token
type), which Python's re does not know; the `pattern` keyword is
therefore checked with the `regex` module (Debian: python3-regex), which
implements them, instead of re. Everything else is jsonschema's own
Draft7Validator, with its format checker for the formats it can check.

Prints "valid" and exits 0, or prints every error (path: message) and
exits 1. Exits 2 when a module is missing, naming the Debian package."""
import json
import sys

try:
    import jsonschema
    from jsonschema import validators
except ImportError:
    print("validate_oscal: python3 module jsonschema missing (Debian package "
          "python3-jsonschema; scripts/bootstrap installs it)", file=sys.stderr)
    sys.exit(2)
try:
    import regex
except ImportError:
    print("validate_oscal: python3 module regex missing (Debian package python3-regex; "
          "scripts/bootstrap installs it)", file=sys.stderr)
    sys.exit(2)

_compiled = {}


def unicode_pattern(validator, pattern, instance, schema):
    if not validator.is_type(instance, "string"):
        return
    compiled = _compiled.get(pattern)
    if compiled is None:
        compiled = _compiled[pattern] = regex.compile(pattern)
    if not compiled.search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def main():
    if len(sys.argv) != 3:
        print("usage: validate_oscal.py SCHEMA FILE|-", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    if sys.argv[2] == "-":
        document = json.load(sys.stdin)
    else:
        with open(sys.argv[2], encoding="utf-8") as f:
            document = json.load(f)
    Validator = validators.extend(jsonschema.Draft7Validator, {"pattern": unicode_pattern})
    # No check_schema: newer jsonschema checks the schema's own patterns
    # with re, which rejects NIST's \p{..}; the schema is NIST's, unchanged.
    validator = Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors[:50]:
        path = "/".join(str(p) for p in error.absolute_path)
        print(f"/{path}: {error.message[:300]}", file=sys.stderr)
    if errors:
        print(f"validate_oscal: {len(errors)} schema errors", file=sys.stderr)
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
