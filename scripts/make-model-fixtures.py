#!/usr/bin/env python3
"""Builds JSON examples of Engine API objects from the v1.41 spec.

The model's round-trip tests decode these files, encode them again and compare. Run from the repository root:
    python3 scripts/make-model-fixtures.py ../shared/reference/docker-engine-api-v1.41.yaml

Two kinds of fixture:
- `<Name>.json`: the spec's own `example` values (sparse, as a server answers).
- `<Name>Complete.json`: every property of the schema filled in (the example where the spec gives one, otherwise a
  made-up value of the right type), so a field the model forgets fails the round trip.
"""
import copy, json, sys, yaml

spec = yaml.safe_load(open(sys.argv[1]))
defs = spec["definitions"]
OUT = "Tests/StarlingModelTests/Fixtures"

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

def complete(schema, name="value"):
    """A value with every property present: examples where the spec has them, made-up values otherwise."""
    if "$ref" in schema:
        return complete(defs[schema["$ref"].split("/")[-1]], name)
    if "allOf" in schema:
        parts = [complete(part, name) for part in schema["allOf"]]
        if not all(isinstance(part, dict) for part in parts):
            return parts[0]  # `allOf: [$ref: MountType]` is a string
        return {key: value for part in parts for key, value in part.items()}
    if "properties" in schema:
        return {key: complete(prop, key) for key, prop in schema["properties"].items()}
    if "example" in schema and not isinstance(schema["example"], dict):
        return schema["example"]
    kind = schema.get("type")
    if "enum" in schema:
        return next(value for value in schema["enum"] if value != "")
    if kind == "object":
        if "additionalProperties" in schema:
            return {f"{name.lower()}-key": f"{name.lower()}-value"}
        return {}
    if kind == "array":
        return [complete(schema.get("items", {}), name)]
    if kind == "string":
        return "2020-06-22T15:49:27.123456789Z" if schema.get("format") == "dateTime" else f"{name.lower()}-value"
    if kind == "integer":
        return 7
    if kind == "number":
        return 0.25
    if kind == "boolean":
        return True
    raise ValueError(f"no value for {name}: {schema}")

def write(name, value):
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")

def as_dockerd_writes_task_spec(task_spec):
    """Where dockerd's JSON differs from the v1.41 document, the fixtures follow dockerd (the model encodes as it
    does, and decodes both spellings)."""
    container = task_spec.get("ContainerSpec", {})
    if "HealthCheck" in container:  # dockerd and its clients spell it Healthcheck
        container["Healthcheck"] = container.pop("HealthCheck")
    plugin = task_spec.get("PluginSpec")
    if plugin is not None:  # generated from protobuf: lower-case keys, `privileges`
        renamed = {key.lower(): value for key, value in plugin.items() if key != "PluginPrivilege"}
        if "PluginPrivilege" in plugin:
            renamed["privileges"] = [{k.lower(): v for k, v in p.items()} for p in plugin["PluginPrivilege"]]
        task_spec["PluginSpec"] = renamed
    return task_spec

def complete_service_spec():
    value = complete(defs["ServiceSpec"])
    value["Mode"] = {"Replicated": value["Mode"]["Replicated"]}  # one mode at a time
    value["RollbackConfig"]["FailureAction"] = "continue"
    as_dockerd_writes_task_spec(value["TaskTemplate"])
    return value

def complete_task():
    value = complete(defs["Task"])
    as_dockerd_writes_task_spec(value["Spec"])
    # dockerd writes GenericResources (the document says AssignedGenericResources).
    value["GenericResources"] = value.pop("AssignedGenericResources")
    # The document points Network at the /networks object; dockerd writes the swarm network, as the example shows.
    value["NetworksAttachments"] = copy.deepcopy(defs["Task"]["example"]["NetworksAttachments"])
    # ... and the rest of the swarm network spec, which the example leaves out.
    value["NetworksAttachments"][0]["Network"]["Spec"].update(
        {"IPv6Enabled": True, "Internal": True, "Attachable": True, "Ingress": True, "Scope": "swarm",
         "ConfigFrom": {"Network": "config-only-net"}})
    value["NetworksAttachments"][0]["Network"]["IPAMOptions"]["Configs"][0]["Range"] = "10.255.0.0/24"
    # Newer than the v1.41 document, but dockerd 20.10 already writes it for host-mode ports.
    value["Status"]["PortStatus"] = {"Ports": [complete(defs["EndpointPortConfig"])]}
    return value

for name in ["Node", "Swarm", "SystemVersion", "Service", "Task"]:
    value = example(defs[name])
    if name == "Swarm":
        # The spec's example nests DefaultAddrPool one level too deep; the schema says a list of strings.
        value["DefaultAddrPool"] = value["DefaultAddrPool"][0]
    if name == "Task":
        value["GenericResources"] = value.pop("AssignedGenericResources")
    write(name, value)

write("ServiceSpecComplete", complete_service_spec())
service = complete(defs["Service"])
service["Spec"] = complete_service_spec()
service["PreviousSpec"] = copy.deepcopy(service["Spec"])
write("ServiceComplete", service)
write("TaskComplete", complete_task())
