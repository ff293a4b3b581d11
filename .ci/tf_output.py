"""One Terraform output from `terraform output -json` on stdin, or a stated default.

    terraform -chdir=infra/service output -json | python3 .ci/tf_output.py image --default none

`terraform output -raw NAME` on an empty state exits 0 and prints a warning box to
stdout, which a pipeline would take for a value; JSON has no decoration, and an
absent output gives the explicit default. Standard library only.
"""
import argparse
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--default", help="printed when the state has no such output (else exit 1)")
    args = parser.parse_args()
    outputs = json.loads(sys.stdin.read() or "{}")
    value = outputs.get(args.name, {}).get("value")
    if value in (None, ""):
        if args.default is None:
            print(f"no output {args.name!r} in the state", file=sys.stderr)
            return 1
        value = args.default
    print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
