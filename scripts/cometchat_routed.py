"""Prints the operations of CometChat's published document that Switchboard
routes, as an OpenAPI document of its own, for the fuzzer.

    python3 scripts/cometchat_routed.py tests/cometchat/chat-apis.subset.json \
        http://127.0.0.1:3000/v3/openapi.json > routed.json

An operation is routed when our own document has the same method on the
same path, parameter names aside. The servers are dropped: the fuzzer is
given the base URL.
"""

import json
import re
import sys
import urllib.request


def shape(method, path):
    path = path.removeprefix("/v3")
    return method.upper() + " " + re.sub(r"\{[^}]+\}", "{}", path)


def main(spec_path, ours_url):
    with open(spec_path) as f:
        spec = json.load(f)
    with urllib.request.urlopen(ours_url) as f:
        ours = json.load(f)
    served = {shape(m, p) for p, methods in ours["paths"].items() for m in methods}
    for path in list(spec["paths"]):
        methods = spec["paths"][path]
        for method in list(methods):
            if shape(method, path) not in served:
                del methods[method]
        if not methods:
            del spec["paths"][path]
    spec.pop("servers", None)
    json.dump(spec, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
