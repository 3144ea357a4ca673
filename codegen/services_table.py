#!/usr/bin/env python3
"""The facts of every AWS service, for the policy on clients that have no adapter crate.

Writes `crates/aws-server-errors-services/src/generated.rs`: one `ServiceCatalog` per service of
the pinned botocore (its newest API version, the one the SDK is generated from), with

- the service's names: crate key (`names.crate_key`), the SDK's `Metadata` service name (the
  model's sdkId), signing name;
- its protocol (the first of botocore's `protocols`: the one smithy-rs picks, rpcv2Cbor before
  awsJson, as CloudWatch's and Backup Gateway's crates show);
- per operation its HTTP binding and retry safety, by the rules of `generate.retry_safety`: the
  `@readonly` / `@idempotent` traits (botocore's, or the Smithy models', distilled into
  `codegen/smithy-traits.json`), an `@idempotencyToken` member (every smithy-rs
  crate fills one), the REST method, the naming conventions;
- its internal-error code and its throttling codes (`service_facts.derive_entry`, on the model's
  errors and the SDK's own throttling codes).

A service with an adapter crate gets exactly its adapter's tables (operations from the SDK crate,
verdicts from the reviewed overlay): the generic path and the adapter then agree by
construction, which the agreement tests check on the wire.

`generate.py` calls `render`; `--distill` (with the models of `../shared/models`) rewrites the
committed traits file, which is all this needs beyond botocore.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import distill
import names
import service_facts

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
TRAITS = HERE / "smithy-traits.json"
OUTPUT = ROOT / "crates" / "aws-server-errors-services" / "src" / "generated.rs"

SAFETY_CONSTS = {"Readonly": "RO", "Idempotent": "ID", "IdempotencyToken": "TK", "Documented": "DOC",
                 "SafeHttpMethod": "HM", "NamingConvention": "NC", "NotRetrySafe": "NO", "Unmodeled": "UN"}


def protocol_of(meta: dict) -> str:
    """The `Protocol` variant of the protocol a botocore model's metadata names first."""
    import generate  # generate imports this module

    return generate.PROTOCOLS[distill.botocore_protocol(meta)]


def distill_traits(models: pathlib.Path) -> None:
    """`smithy-traits.json`: per sdkId, the operations the Smithy models mark `@readonly` or
    `@idempotent` (botocore's models lack some of these traits)."""
    out: dict[str, dict[str, list[str]]] = {}
    for path in sorted((models / "smithy-all").glob("*.json")):
        shapes = json.loads(path.read_text())["shapes"]
        service = next(v for v in shapes.values() if v["type"] == "service")
        sdk_id = service.get("traits", {}).get("aws.api#service", {}).get("sdkId")
        if not sdk_id:
            continue
        ops = {k.split("#")[1]: v.get("traits", {}) for k, v in shapes.items() if v["type"] == "operation"}
        entry = {t: sorted(n for n, traits in ops.items() if f"smithy.api#{t}" in traits) for t in ("readonly", "idempotent")}
        if entry["readonly"] or entry["idempotent"]:
            out[sdk_id] = entry
    TRAITS.write_text(json.dumps(dict(sorted(out.items())), indent=0, sort_keys=True) + "\n")
    print(f"wrote {TRAITS.relative_to(ROOT)}: {len(out)} services")


def model_service(model: dict, traits: dict) -> dict:
    """One service's facts from its botocore model (and the Smithy traits)."""
    import generate  # the verdict rules are the adapters' (imported here: generate imports us)

    meta = model["metadata"]
    service = distill.botocore_service_facts(model)
    protocol = protocol_of(meta)
    sdk_id = meta["serviceId"]
    query_compatible = "awsQueryCompatible" in meta
    uses_query = protocol in ("AwsQuery", "Ec2Query") or query_compatible
    smithy = traits.get(sdk_id, {})
    readonly, idempotent = set(smithy.get("readonly", [])), set(smithy.get("idempotent", []))
    shapes = model["shapes"]
    operations, crate_ops = [], []
    for name, op in sorted(model["operations"].items()):
        tokens = []
        if inp := op.get("input", {}).get("shape"):
            tokens = sorted(m for m, spec in shapes[inp].get("members", {}).items() if spec.get("idempotencyToken"))
        http = op.get("http", {})
        method = http.get("method", "POST")
        uri = http.get("requestUri", "/") if protocol in ("RestJson1", "RestXml") else "/"
        facts = {"readonly": bool(op.get("readonly")) or name in readonly,
                 "idempotent": bool(op.get("idempotent")) or name in idempotent,
                 "idempotency_token": tokens, "http_method": method}
        safety, _ = generate.retry_safety({"name": name, "sdk_fills_token": bool(tokens)}, facts, protocol, {})
        operations.append((name, method, uri, safety))
        errors = []
        for ref in op.get("errors", []):
            shape = shapes.get(ref["shape"], {})
            code = shape.get("error", {}).get("code") if uses_query else None
            errors.append({"variant": ref["shape"], "code": code or ref["shape"]})
        crate_ops.append({"name": name, "errors": errors})
    signing_name = meta.get("signingName") or meta.get("endpointPrefix", "")
    # What `derive_entry` reads of a crate, from the model: each operation's errors by wire code.
    crate = {"protocol": protocol, "signing_name": signing_name, "query_compatible": query_compatible,
             "service": sdk_id, "operations": crate_ops}
    errors = distill.botocore_errors(shapes)
    entry = service_facts.derive_entry(names.crate_key(sdk_id), crate, {"errors": errors, "sdk_id": sdk_id})
    model_facts = {"errors": errors}
    status = service_facts.status_of(entry["throttling"][0], model_facts, crate, False)
    return {"key": names.crate_key(sdk_id), "sdk_id": sdk_id, "protocol": protocol, "signing_name": signing_name,
            "query_compatible": query_compatible, "operations": operations, "throttling_status": status,
            "internal": entry["internal"], "throttling": entry["throttling"],
            "namespace": service["namespace"], "service_shape": service["service_shape"]}


def rust_str(s: str) -> str:
    return json.dumps(s)


def render(adapted: dict[str, dict]) -> str:
    """The generated module. `adapted`: per adapter crate key, the entry its `generate.py` run
    computed (same keys as `model_service`'s), which replaces the model-only one."""
    data = distill.checked_botocore_data()
    if data is None:
        sys.exit("error: botocore is not installed (pip install -r codegen/requirements.txt)")
    traits = json.loads(TRAITS.read_text())
    services, versions = {}, {}
    # Two botocore folders may share an sdkId (`sms-voice` and `pinpoint-sms-voice` are both
    # "Pinpoint SMS Voice"): the newer API version is the SDK's.
    for path in sorted(names.newest_botocore_models(data).values(), key=lambda p: p.parent.name):
        model = names.load_json(path)
        entry = model_service(model, traits)
        versions.setdefault(entry["key"], []).append(path.parent.name)
        services[entry["key"]] = adapted.get(entry["key"], entry)
    for key, entry in adapted.items():
        services.setdefault(key, entry)
    ordered = sorted(services.values(), key=lambda s: s["key"])
    botocore_version = distill.pinned_botocore()
    out = [
        f"// @generated by codegen/services_table.py (through codegen/generate.py) from botocore {botocore_version},\n",
        "// codegen/smithy-traits.json and the adapter crates' tables. Do not edit.\n",
        "//! The catalog of every service: operations, HTTP bindings, retry safety, error codes.\n\n",
        "use aws_server_errors::catalog::{OperationSpec, Protocol, RetrySafety, ServiceCatalog};\n",
        "use aws_server_errors::Service;\n\n",
        "const RO: RetrySafety = RetrySafety::Readonly;\n",
        "const ID: RetrySafety = RetrySafety::Idempotent;\n",
        "const TK: RetrySafety = RetrySafety::IdempotencyToken;\n",
        "const DOC: RetrySafety = RetrySafety::Documented;\n",
        "const HM: RetrySafety = RetrySafety::SafeHttpMethod;\n",
        "const NC: RetrySafety = RetrySafety::NamingConvention;\n",
        "const NO: RetrySafety = RetrySafety::NotRetrySafe;\n",
        *(["const UN: RetrySafety = RetrySafety::Unmodeled;\n"] if any(v == "Unmodeled" for s in ordered for *_, v in s["operations"]) else []),
        "\n",
        "const fn op(name: &'static str, http_method: &'static str, uri: &'static str, retry_safety: RetrySafety) -> OperationSpec {\n",
        "    OperationSpec { name, http_method, uri, retry_safety }\n",
        "}\n\n",
        "#[allow(clippy::too_many_arguments)] // one per column of the table\n",
        "const fn catalog(\n",
        "    service: &'static str,\n",
        "    sdk_crate: &'static str,\n",
        "    protocol: Protocol,\n",
        "    signing_name: &'static str,\n",
        "    model_service: &'static str,\n",
        "    query_compatible: bool,\n",
        "    wire_codes: (&'static str, &'static str),\n",
        "    shapes: (&'static str, &'static str),\n",
        "    throttling_status: u16,\n",
        "    operations: &'static [OperationSpec],\n",
        ") -> ServiceCatalog {\n",
        "    ServiceCatalog {\n",
        "        service,\n",
        "        sdk_crate,\n",
        f"        sdk_version: {rust_str('')},\n",
        "        protocol,\n",
        "        signing_name,\n",
        "        model_namespace: \"\",\n",
        "        model_service,\n",
        "        internal_error_shape: shapes.0,\n",
        "        throttling_shape: shapes.1,\n",
        "        throttling_status,\n",
        "        wire_codes,\n",
        "        query_compatible,\n",
        "        operations,\n",
        "        error_body_members: &[],\n",
        "        success_bodies: &[],\n",
        "        virtual_hosted_buckets: false,\n",
        "        errors_in_200: &[],\n",
        "    }\n",
        "}\n\n",
        "/// The services' keys, sorted, and each one's index in [`SERVICES`].\n",
        "pub(crate) static KEYS: [&str; {n}] = [{keys}];\n\n".format(
            n=len(ordered), keys=", ".join(rust_str(s["key"]) for s in ordered)),
        "/// The services' `Metadata` names (sdkId), sorted, with each one's index in [`SERVICES`].\n",
        "pub(crate) static SDK_IDS: [(&str, u16); {n}] = [{ids}];\n\n".format(
            n=len(ordered),
            ids=", ".join(f"({rust_str(s['sdk_id'])}, {i})" for s, i in
                          sorted(((s, i) for i, s in enumerate(ordered)), key=lambda p: p[0]["sdk_id"]))),
    ]
    statics = []
    for i, s in enumerate(ordered):
        ops = "".join(f"    op({rust_str(n)}, {rust_str(m)}, {rust_str(u)}, {SAFETY_CONSTS[v]}),\n"
                      for n, m, u, v in s["operations"])
        throttling = s["throttling"]
        out.append(
            f"static C{i}: ServiceCatalog = catalog({rust_str(s['sdk_id'])}, {rust_str('aws-sdk-' + s['key'])}, "
            f"Protocol::{s['protocol']}, {rust_str(s['signing_name'])}, {rust_str(s['service_shape'])}, {'true' if s['query_compatible'] else 'false'}, "
            f"({rust_str(s['internal'])}, {rust_str(throttling[0])}), "
            f"({rust_str(s.get('internal_shape', s['internal']))}, {rust_str(s.get('throttling_shape', throttling[0]))}), "
            f"{s['throttling_status']}, &[\n{ops}]);\n"
        )
        statics.append(f"    Service::generic(&C{i}, &[{', '.join(rust_str(t) for t in throttling)}]),\n")
    out.append(f"\n/// Every service, in the order of [`KEYS`].\npub(crate) static SERVICES: [Service; {len(ordered)}] = [\n")
    out += statics
    out.append("];\n")
    return "".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distill", metavar="MODELS", help="rewrite smithy-traits.json from MODELS/smithy-all")
    args = parser.parse_args()
    if args.distill:
        distill_traits(pathlib.Path(args.distill))
        return 0
    print("run codegen/generate.py: it writes the table with the adapters' entries", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
