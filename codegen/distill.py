#!/usr/bin/env python3
"""Distil the per-operation facts this project needs from the AWS service models.

Reads the Smithy JSON AST models (primary source) and botocore models (fallback for
operations the Smithy snapshot does not have yet) from a directory of models, and writes
one small JSON file per service to ``codegen/model-facts/``. The output holds facts only
(trait flags, HTTP bindings, error shape fault/status, and the body of a minimal valid response:
the required string members with placeholders): no documentation prose is copied.

This is the only step that needs the models. ``generate.py`` reads the facts files, so the
project builds, tests and regenerates without them.

Usage: python3 codegen/distill.py [--models ../shared/models]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "model-facts"

# crate suffix -> (smithy file, botocore file)
SERVICES = {
    "signer": ("signer-2017-08-25.json", "signer-service-2.json"),
    "pinpoint": ("pinpoint-2016-12-01.json", "pinpoint-service-2.json"),
    "account": ("account-2021-02-01.json", "account-service-2.json"),
    "backupgateway": ("backup-gateway-2021-01-01.json", "backup-gateway-service-2.json"),
    "connectcases": ("connectcases-2022-10-03.json", "connectcases-service-2.json"),
}


def local(shape_id: str) -> str:
    return shape_id.split("#", 1)[1]


# Members bound elsewhere than the body of a response.
NON_BODY = ("smithy.api#httpHeader", "smithy.api#httpPrefixHeaders", "smithy.api#httpResponseCode")


def smithy_type(shapes: dict, target: str) -> str:
    if target.startswith("smithy.api#"):
        return "string" if target == "smithy.api#String" else "other"
    shape = shapes.get(target, {})
    if shape.get("type") == "string" and "smithy.api#enum" not in shape.get("traits", {}):
        return "string"
    return shape.get("type", "other")


def smithy_skeleton(shapes: dict, target: str, json_names: bool, depth: int = 0) -> dict:
    """The body of a minimal valid response of structure `target`: every required string member
    (enums excepted) with a non-empty placeholder, every required structure member recursively
    (3 levels). The SDK fills every other required member with a default of its own (client-side
    error correction); empty strings are the defaults that break a next request (a URI label)."""
    out = {}
    for name, member in shapes.get(target, {}).get("members", {}).items():
        traits = member.get("traits", {})
        if "smithy.api#httpPayload" in traits:
            if smithy_type(shapes, member["target"]) == "structure":
                return smithy_skeleton(shapes, member["target"], json_names, depth)
            return {}
        if "smithy.api#required" not in traits or any(t in traits for t in NON_BODY):
            continue
        key = traits.get("smithy.api#jsonName", name) if json_names else name
        kind = smithy_type(shapes, member["target"])
        if kind == "string":
            out[key] = f"fault-kit-{name}"
        elif kind == "structure" and depth < 3:
            out[key] = smithy_skeleton(shapes, member["target"], json_names, depth + 1)
    return out


def botocore_skeleton(shapes: dict, name: str, depth: int = 0) -> dict:
    """As `smithy_skeleton`, from a botocore model's output shape."""
    shape = shapes.get(name, {})
    members = shape.get("members", {})
    if "payload" in shape:
        target = members.get(shape["payload"], {}).get("shape")
        return botocore_skeleton(shapes, target, depth) if shapes.get(target, {}).get("type") == "structure" else {}
    out = {}
    for member in shape.get("required", []):
        spec = members.get(member, {})
        if spec.get("location"):
            continue
        target = shapes.get(spec.get("shape"), {})
        key = spec.get("locationName", member)
        if target.get("type") == "string" and "enum" not in target:
            out[key] = f"fault-kit-{member}"
        elif target.get("type") == "structure" and depth < 3:
            out[key] = botocore_skeleton(shapes, spec["shape"], depth + 1)
    return out


def smithy_facts(path: pathlib.Path) -> tuple[str, dict, dict]:
    shapes = json.loads(path.read_text())["shapes"]
    service = next(v for v in shapes.values() if v["type"] == "service")
    protocols = sorted(t for t in service.get("traits", {}) if t.startswith("aws.protocols#"))
    json_names = "aws.protocols#restJson1" in protocols
    ops = {}
    for sid, shape in shapes.items():
        if shape["type"] != "operation":
            continue
        traits = shape.get("traits", {})
        http = traits.get("smithy.api#http", {})
        token_members = []
        inp = shape.get("input", {}).get("target")
        if inp and inp in shapes:
            for mname, member in shapes[inp].get("members", {}).items():
                if "smithy.api#idempotencyToken" in member.get("traits", {}):
                    token_members.append(mname)
        ops[local(sid)] = {
            "readonly": "smithy.api#readonly" in traits,
            "idempotent": "smithy.api#idempotent" in traits,
            "idempotency_token": sorted(token_members),
            "http_method": http.get("method"),
            "uri": http.get("uri"),
            "source": "smithy",
            "success_body": smithy_skeleton(shapes, shape.get("output", {}).get("target", ""), json_names),
        }
    errors = {}
    for sid, shape in shapes.items():
        traits = shape.get("traits", {})
        if "smithy.api#error" not in traits:
            continue
        retryable = traits.get("smithy.api#retryable")
        errors[local(sid)] = {
            # The members the body carries, as the wire names them (the fault kit's error bodies).
            "body_members": sorted(
                (m.get("traits", {}).get("smithy.api#jsonName", name) if json_names else name)
                for name, m in shape.get("members", {}).items()
                if not any(t in m.get("traits", {}) for t in NON_BODY)
            ),
            "fault": traits["smithy.api#error"],
            "http_status": traits.get("smithy.api#httpError"),
            "retryable": retryable is not None,
            "throttling": bool(retryable and retryable.get("throttling")),
            "source": "smithy",
        }
    protocol = protocols[0].split("#")[1] if protocols else None
    service_id = next(k for k, v in shapes.items() if v["type"] == "service")
    facts = {"model_protocol": protocol, "service_shape": local(service_id), "namespace": service_id.split("#")[0]}
    return facts, ops, errors


def botocore_facts(path: pathlib.Path) -> tuple[dict, dict]:
    model = json.loads(path.read_text())
    shapes = model["shapes"]
    ops = {}
    for name, op in model["operations"].items():
        token_members = []
        inp = op.get("input", {}).get("shape")
        if inp:
            for mname, member in shapes[inp].get("members", {}).items():
                if member.get("idempotencyToken"):
                    token_members.append(mname)
        ops[name] = {
            "readonly": bool(op.get("readonly")),
            "idempotent": bool(op.get("idempotent")),
            "idempotency_token": sorted(token_members),
            "http_method": op.get("http", {}).get("method"),
            "uri": op.get("http", {}).get("requestUri"),
            "source": "botocore",
            "success_body": botocore_skeleton(shapes, op.get("output", {}).get("shape", "")),
        }
    errors = {}
    for name, shape in shapes.items():
        if not shape.get("exception"):
            continue
        retryable = shape.get("retryable")
        err = shape.get("error", {})
        errors[name] = {
            "fault": "server" if shape.get("fault") else "client",
            "http_status": err.get("httpStatusCode"),
            "retryable": retryable is not None,
            "throttling": bool(retryable and retryable.get("throttling")),
            "source": "botocore",
        }
    return ops, errors


def distill(models: pathlib.Path) -> None:
    OUT.mkdir(exist_ok=True)
    for service, (smithy_file, botocore_file) in SERVICES.items():
        service_facts, ops, errors = smithy_facts(models / "smithy" / smithy_file)
        b_ops, b_errors = botocore_facts(models / "botocore" / botocore_file)
        for name, facts in b_ops.items():
            ops.setdefault(name, facts)
        for name, facts in b_errors.items():
            errors.setdefault(name, facts)
        out = {
            "service": service,
            **service_facts,
            "operations": dict(sorted(ops.items())),
            "errors": dict(sorted(errors.items())),
        }
        target = OUT / f"{service}.json"
        target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
        print(f"wrote {target.relative_to(HERE.parent)}: {len(ops)} operations, {len(errors)} errors")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(HERE.parent.parent / "shared" / "models"))
    args = parser.parse_args()
    models = pathlib.Path(args.models)
    if not (models / "smithy").is_dir():
        print(f"error: no models at {models}", file=sys.stderr)
        return 2
    distill(models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
