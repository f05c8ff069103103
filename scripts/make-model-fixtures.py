#!/usr/bin/env python3
"""Builds JSON examples of Engine API objects from the `example` values in the v1.41 spec.

The model's round-trip tests decode these files, encode them again and compare. Run from the repository root:
    python3 scripts/make-model-fixtures.py ../shared/reference/docker-engine-api-v1.41.yaml
"""
import json, sys, yaml

spec = yaml.safe_load(open(sys.argv[1]))
defs = spec["definitions"]

def example(schema):
    if "$ref" in schema:
        return example(defs[schema["$ref"].split("/")[-1]])
    if "allOf" in schema:
        out = {}
        for part in schema["allOf"]:
            out.update(example(part) or {})
        return out
    if "example" in schema:
        return schema["example"]
    if schema.get("type") == "object" or "properties" in schema:
        if "properties" not in schema:
            return schema.get("example", {})
        out = {}
        for name, prop in schema["properties"].items():
            value = example(prop)
            if value is not None:
                out[name] = value
        return out
    if schema.get("type") == "array":
        if "example" in schema:
            return schema["example"]
        item = example(schema.get("items", {}))
        return [item] if item is not None else []
    return schema.get("example")

for name in ["Node", "Swarm", "SystemVersion"]:
    value = example(defs[name])
    if name == "Swarm":
        # The spec's example nests DefaultAddrPool one level too deep; the schema says a list of strings.
        value["DefaultAddrPool"] = value["DefaultAddrPool"][0]
    with open(f"Tests/StarlingModelTests/Fixtures/{name}.json", "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")
