#!/usr/bin/env python3
"""Distil the per-operation facts this project needs from the AWS service models.

Reads the Smithy JSON AST model (primary source) and the botocore model (fallback for
operations the Smithy snapshot does not have yet) of each service, and writes one small JSON
file per service to ``codegen/model-facts/``. A service is named by its key, the SDK crate's name
without ``aws-sdk-`` (``dynamodb``); its models are found by their ``sdkId`` / ``serviceId``
(compared ignoring case and spaces) in ``--models`` (``smithy/*.json``, ``botocore/*.json``),
and, where that directory has no botocore model, in the ``botocore`` package pinned in
``codegen/requirements.txt`` (``pip install -r codegen/requirements.txt``), which ships every
service's. The output holds facts only
(trait flags, HTTP bindings, error shape fault/status, and the body of a minimal valid response:
the required string members with placeholders): no documentation prose is copied.

This is the only step that needs the models. ``generate.py`` reads the facts files, so the
project builds, tests and regenerates without them.

Usage: python3 codegen/distill.py [--models ../shared/models] [KEY ...]
       (no KEY: every service that has a file in codegen/model-facts/)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys

import names

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "model-facts"



def pinned_botocore() -> str:
    """The botocore version codegen/requirements.txt pins."""
    for line in (HERE / "requirements.txt").read_text().splitlines():
        if line.startswith("botocore=="):
            return line.split("==", 1)[1].strip()
    sys.exit("error: codegen/requirements.txt pins no botocore version")


def checked_botocore_data() -> pathlib.Path | None:
    """The installed botocore's models, if it is the pinned version; an error naming both
    versions if another is installed (its models would give other facts); None if none is."""
    data = names.botocore_data()
    if data is None:
        return None
    import botocore  # noqa: PLC0415

    if botocore.__version__ != pinned_botocore():
        sys.exit(f"error: botocore {botocore.__version__} is installed, codegen/requirements.txt pins "
                 f"{pinned_botocore()}: its models would give other facts. Run "
                 "`pip install -r codegen/requirements.txt`.")
    return data


def smithy_model(models: pathlib.Path, key: str) -> pathlib.Path | None:
    """The Smithy JSON AST model of the crate `key` (its service's sdkId by the SDK's naming
    rule, `names.crate_key`), from `smithy/` (the curated snapshot) or else `smithy-all/`."""
    for folder in ("smithy", "smithy-all"):
        for path in sorted((models / folder).glob("*.json")):
            # The file is large: look for the sdkId before parsing it.
            text = path.read_text()
            if '"sdkId"' not in text:
                continue
            shapes = json.loads(text).get("shapes", {})
            for shape in shapes.values():
                if shape.get("type") == "service":
                    sdk_id = shape.get("traits", {}).get("aws.api#service", {}).get("sdkId", "")
                    if names.crate_key(sdk_id) == key:
                        return path
    return None


def botocore_model(models: pathlib.Path, key: str) -> tuple[dict, str] | None:
    """(the botocore model of the crate `key`, where it came from): from `--models`' botocore/
    folder, else the newest API version in the pinned botocore package."""
    for path in sorted((models / "botocore").glob("*.json")):
        model = names.load_json(path)
        if names.crate_key(model.get("metadata", {}).get("serviceId", "")) == key:
            return model, str(path)
    data = checked_botocore_data()
    if data is None:
        return None
    for path in names.newest_botocore_models(data).values():
        model = names.load_json(path)
        if names.crate_key(model["metadata"]["serviceId"]) == key:
            return model, f"botocore {pinned_botocore()} {path.parent.parent.name}/{path.parent.name}"
    return None


def local(shape_id: str) -> str:
    return shape_id.split("#", 1)[1]


# Members bound elsewhere than the body of a response.
NON_BODY = ("smithy.api#httpHeader", "smithy.api#httpPrefixHeaders", "smithy.api#httpResponseCode")


def smithy_type(shapes: dict, target: str) -> str:
    if target.startswith("smithy.api#"):
        return {"smithy.api#String": "string", "smithy.api#Blob": "blob"}.get(target, "other")
    shape = shapes.get(target, {})
    if shape.get("type") == "string" and "smithy.api#enum" not in shape.get("traits", {}):
        return "string"
    return shape.get("type", "other")


#: The entity tag a success carries where the output binds a member to the `ETag` header (S3's
#: objects): a quoted MD5, here of the placeholder payload, as S3 sends it (RFC 9110 section 8.8.3).
PAYLOAD = "fault-kit-body"
ETAG = '"' + hashlib.md5(PAYLOAD.encode()).hexdigest() + '"'


def is_identifier(name: str) -> bool:
    """An optional member a success still carries: the id of what the call made or returned
    (SNS `MessageId`, S3 `UploadId`), which AWS sends whenever the call succeeds."""
    return name.endswith("Id")


# What a required member that is not a string or structure holds in a minimal response, by its
# kind: the value a crate's client-side error correction would give it. smithy-rs's schema-based
# crates (Kinesis 1.130, Config 1.131) do no error correction: a required member missing from a
# response fails the call, so the skeleton carries every one. XML bodies carry no empty lists or
# maps (an empty element is not one); timestamps are epoch seconds in JSON, RFC 3339 in XML. (RPC
# v2 CBOR wants a timestamp tagged, which the fault kit's JSON-to-CBOR encoding does not do: no
# adapted CBOR service has a required timestamp in an output today.)
NUMBERS = {"byte", "short", "integer", "long", "float", "double", "bigInteger", "bigDecimal"}


TIMESTAMPS = {"date-time": "1970-01-01T00:00:00Z", "http-date": "Thu, 01 Jan 1970 00:00:00 GMT", "epoch-seconds": 0,
              # botocore's names of the same formats.
              "iso8601": "1970-01-01T00:00:00Z", "rfc822": "Thu, 01 Jan 1970 00:00:00 GMT", "unixTimestamp": 0}


def typed_default(kind: str, xml: bool, timestamp_format: str | None = None):
    """The placeholder of a required member of `kind` (a Smithy shape type), or None for none.
    A timestamp is written in its `@timestampFormat` (Connect Cases' `date-time`), else the
    protocol's default."""
    if kind in NUMBERS:
        return 0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        if timestamp_format in TIMESTAMPS:
            return TIMESTAMPS[timestamp_format]
        return "1970-01-01T00:00:00Z" if xml else 0
    if kind in ("list", "set") and not xml:
        return []
    if kind == "map" and not xml:
        return {}
    return None


def smithy_enum_value(shapes: dict, target: str):
    """The first value of an enum shape (`enum`, `intEnum`, or a string with `@enum`), else None."""
    shape = shapes.get(target, {})
    if shape.get("type") in ("enum", "intEnum"):
        for name, member in shape.get("members", {}).items():
            return member.get("traits", {}).get("smithy.api#enumValue", name)
    values = shape.get("traits", {}).get("smithy.api#enum")
    return values[0]["value"] if values else None


def smithy_skeleton(shapes: dict, target: str, json_names: bool, depth: int = 0, xml: bool = False) -> dict:
    """The body of a minimal valid response of structure `target`: every required member with a
    placeholder (a string: a non-empty `fault-kit-<name>`; an enum: its first value; a structure:
    recursively, 3 levels; any other kind: `typed_default`), and at the top level the optional
    string members that are identifiers (`is_identifier`). Empty strings are the defaults that
    break a next request (a URI label). Keys starting with `@` are not body members:
    `@header:ETag` an entity tag header, `@payload` the bytes of a blob payload (S3 `GetObject`)."""
    out = {}
    members = shapes.get(target, {}).get("members", {})
    for name, member in members.items():
        traits = member.get("traits", {})
        kind = smithy_type(shapes, member["target"])
        if depth == 0 and str(traits.get("smithy.api#httpHeader", "")).lower() == "etag" and kind == "string":
            out["@header:ETag"] = ETAG
        if "smithy.api#httpPayload" in traits and kind == "blob" and depth == 0:
            out["@payload"] = PAYLOAD
    for name, member in members.items():
        traits = member.get("traits", {})
        kind = smithy_type(shapes, member["target"])
        if "smithy.api#httpPayload" in traits:
            if kind == "structure":
                return {**smithy_skeleton(shapes, member["target"], json_names, depth, xml), **out}
            continue
        if any(t in traits for t in NON_BODY):
            continue
        required = "smithy.api#required" in traits
        if not required and not (depth == 0 and kind == "string" and is_identifier(name)):
            continue
        # restJson1 honours `@jsonName`, the XML protocols `@xmlName`; awsJson and RPC v2 CBOR
        # use the member's name.
        key = (traits.get("smithy.api#jsonName", name) if json_names
               else traits.get("smithy.api#xmlName", name) if xml else name)
        enum = smithy_enum_value(shapes, member["target"])
        if enum is not None:
            out[key] = enum
        elif kind == "string":
            out[key] = f"fault-kit-{name}"
        elif kind == "structure":
            if depth < 3:
                out[key] = smithy_skeleton(shapes, member["target"], json_names, depth + 1, xml)
        elif (value := typed_default(kind, xml, traits.get("smithy.api#timestampFormat") or shapes.get(
                member["target"], {}).get("traits", {}).get("smithy.api#timestampFormat"))) is not None:
            out[key] = value
    return out


def botocore_skeleton(shapes: dict, name: str, depth: int = 0, xml: bool = False, rest_json: bool = False) -> dict:
    """As `smithy_skeleton`, from a botocore model's output shape."""
    shape = shapes.get(name, {})
    members = shape.get("members", {})
    out = {}
    for member, spec in members.items():
        target = shapes.get(spec.get("shape"), {})
        if (depth == 0 and spec.get("location") == "header" and spec.get("locationName", "").lower() == "etag"
                and target.get("type") == "string"):
            out["@header:ETag"] = ETAG
    if "payload" in shape:
        target = members.get(shape["payload"], {}).get("shape")
        kind = shapes.get(target, {}).get("type")
        if kind == "structure":
            return {**botocore_skeleton(shapes, target, depth, xml, rest_json), **out}
        if kind == "blob" and depth == 0:
            out["@payload"] = PAYLOAD
    required = set(shape.get("required", []))
    for member, spec in members.items():
        if spec.get("location") or member == shape.get("payload"):
            continue
        target = shapes.get(spec.get("shape"), {})
        is_string = target.get("type") == "string" and "enum" not in target
        if member not in required and not (depth == 0 and is_string and is_identifier(member)):
            continue
        # botocore's `locationName` is the wire name in XML and restJson bodies; awsJson uses
        # the member's name (SQS's query-era `locationName`s are not on its JSON wire).
        key = spec.get("locationName", member) if xml or rest_json else member
        if target.get("enum"):
            out[key] = target["enum"][0]
        elif is_string:
            out[key] = f"fault-kit-{member}"
        elif target.get("type") == "structure":
            if depth < 3:
                out[key] = botocore_skeleton(shapes, spec["shape"], depth + 1, xml, rest_json)
        elif (value := typed_default(target.get("type", ""), xml,
                                     spec.get("timestampFormat") or target.get("timestampFormat"))) is not None:
            out[key] = value
    return out


def xml_root(shapes: dict, target: str, protocols: list[str]) -> str | None:
    """restXml: the root element of an output whose members go in the body (not all bound to
    headers, the status or a payload): its `@xmlName`, else its name. The SDK's parser wants it
    even when every member is optional."""
    if "aws.protocols#restXml" not in protocols or target not in shapes:
        return None
    members = shapes[target].get("members", {}).values()
    bound = NON_BODY + ("smithy.api#httpPayload",)
    if not members or any("smithy.api#httpPayload" in m.get("traits", {}) for m in members):
        return None
    if all(any(t in m.get("traits", {}) for t in bound) for m in members):
        return None
    return shapes[target].get("traits", {}).get("smithy.api#xmlName", local(target))


def smithy_facts(path: pathlib.Path) -> tuple[str, dict, dict]:
    shapes = json.loads(path.read_text())["shapes"]
    service = next(v for v in shapes.values() if v["type"] == "service")
    protocols = sorted(t for t in service.get("traits", {}) if t.startswith("aws.protocols#"))
    json_names = "aws.protocols#restJson1" in protocols
    xml = any(p in protocols for p in ("aws.protocols#restXml", "aws.protocols#awsQuery", "aws.protocols#ec2Query"))
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
            "success_body": smithy_skeleton(shapes, shape.get("output", {}).get("target", ""), json_names, xml=xml),
            **({"xml_root": root} if (root := xml_root(shapes, shape.get("output", {}).get("target", ""), protocols)) else {}),
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
            # The code on the wire where it is not the shape's name (awsQuery, e.g. SNS
            # InternalErrorException is sent as InternalError).
            **({"code": code} if (code := traits.get("aws.protocols#awsQueryError", {}).get("code")) else {}),
            "fault": traits["smithy.api#error"],
            "http_status": traits.get("smithy.api#httpError"),
            "retryable": retryable is not None,
            "throttling": bool(retryable and retryable.get("throttling")),
            "source": "smithy",
        }
    protocol = protocols[0].split("#")[1] if protocols else None
    service_id = next(k for k, v in shapes.items() if v["type"] == "service")
    sdk_id = shapes[service_id].get("traits", {}).get("aws.api#service", {}).get("sdkId")
    facts = {"model_protocol": protocol, "service_shape": local(service_id), "namespace": service_id.split("#")[0],
             "sdk_id": sdk_id}
    return facts, ops, errors


def botocore_facts(model: dict) -> tuple[dict, dict]:
    shapes = model["shapes"]
    meta = model.get("metadata", {})
    protocol = meta.get("protocols", [meta.get("protocol")])[0]
    xml, rest_json = protocol in ("rest-xml", "query", "ec2"), protocol == "rest-json"
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
            "success_body": botocore_skeleton(shapes, op.get("output", {}).get("shape", ""), xml=xml, rest_json=rest_json),
        }
    return ops, botocore_errors(shapes)


def botocore_errors(shapes: dict) -> dict:
    """The error shapes of a botocore model, by name."""
    errors = {}
    for name, shape in shapes.items():
        if not shape.get("exception"):
            continue
        retryable = shape.get("retryable")
        err = shape.get("error", {})
        errors[name] = {
            "body_members": sorted(m for m, spec in shape.get("members", {}).items() if not spec.get("location")),
            # The code on the wire where it is not the shape's name (awsQuery and query-compatible).
            **({"code": err["code"]} if err.get("code") and err["code"] != name else {}),
            # botocore marks a server fault `fault: true` (JSON protocols) or, in the awsQuery
            # models, only by a 5xx status without `senderFault` (IAM's ServiceFailureException).
            "fault": "server" if shape.get("fault") or (err and not err.get("senderFault")
                                                        and (err.get("httpStatusCode") or 0) >= 500) else "client",
            "http_status": err.get("httpStatusCode"),
            "retryable": retryable is not None,
            "throttling": bool(retryable and retryable.get("throttling")),
            "source": "botocore",
        }
    return errors


def botocore_protocol(meta: dict) -> str:
    """The Smithy name of the protocol a botocore model's metadata names first (the one smithy-rs
    picks: rpcv2Cbor before awsJson, as CloudWatch's and Backup Gateway's crates show)."""
    protocol = meta.get("protocols", [meta.get("protocol")])[0]
    names = {"json": f"awsJson{meta.get('jsonVersion', '1.0').replace('.', '_')}", "rest-json": "restJson1",
             "rest-xml": "restXml", "query": "awsQuery", "ec2": "ec2Query", "smithy-rpc-v2-cbor": "rpcv2Cbor"}
    return names.get(protocol, protocol)


def botocore_service_facts(model: dict) -> dict:
    """The service-level facts from a botocore model, for a service without a Smithy model."""
    meta = model["metadata"]
    target = meta.get("targetPrefix", "")
    return {"model_protocol": botocore_protocol(meta), "service_shape": target or meta["serviceId"],
            "namespace": f"com.amazonaws.{meta['endpointPrefix']}", "sdk_id": meta["serviceId"]}


def merged(key: str, smithy_path: pathlib.Path | None, botocore: dict | None, botocore_source: str | None) -> dict:
    """A service's facts file: the Smithy model's facts, with the operations and errors only
    botocore's (newer) model has added, and where each came from. `botocore_source` is a path
    (`--models`' botocore folder) or already a label (`botocore 1.44.8 sqs/2012-11-05`)."""
    if smithy_path is not None:
        service_facts, ops, errors = smithy_facts(smithy_path)
    else:
        service_facts, ops, errors = botocore_service_facts(botocore), {}, {}
    b_ops, b_errors = botocore_facts(botocore) if botocore is not None else ({}, {})
    for name, facts in b_ops.items():
        ops.setdefault(name, facts)
    for name, facts in b_errors.items():
        errors.setdefault(name, facts)
    sources = [f"smithy {smithy_path.parent.name}/{smithy_path.name}"] if smithy_path else []
    if botocore_source:
        path = pathlib.Path(botocore_source)
        sources.append(botocore_source if botocore_source.startswith("botocore ")
                       else f"botocore {path.parent.name}/{path.name}")
    return {"service": key, "models": sources, **service_facts,
            "operations": dict(sorted(ops.items())), "errors": dict(sorted(errors.items()))}


def distill(models: pathlib.Path, keys: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    if not models.is_dir():
        print(f"note: no models folder at {models}: the facts come from botocore {pinned_botocore()} alone",
              file=sys.stderr)
    for service in keys:
        smithy_path = smithy_model(models, service) if models.is_dir() else None
        found = botocore_model(models, service)
        if smithy_path is None and found is None:
            sys.exit(f"error: no Smithy or botocore model whose sdkId names the crate aws-sdk-{service} "
                     f"(pip install -r codegen/requirements.txt for botocore {pinned_botocore()}'s)")
        botocore, botocore_source = found if found is not None else (None, None)
        out = merged(service, smithy_path, botocore, botocore_source)
        target = OUT / f"{service}.json"
        target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
        print(f"wrote {target.relative_to(HERE.parent)}: {len(out['operations'])} operations, "
              f"{len(out['errors'])} errors, from {', '.join(out['models'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(HERE.parent.parent / "shared" / "models"))
    parser.add_argument("keys", nargs="*", help="services to distil (default: those in model-facts/)")
    args = parser.parse_args()
    models = pathlib.Path(args.models)
    keys = args.keys or sorted(p.stem for p in OUT.glob("*.json"))
    distill(models, keys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
