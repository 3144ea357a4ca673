#!/usr/bin/env python3
"""What an aws-sdk crate really has, read from its generated source: the ground truth the
generator starts from.

The crate a user compiles is in the cargo registry once fetched (``cargo metadata`` gives its
folder). Its generated code says, for each operation: its name and module, the variants of its
error enum with the wire code the deserializer matches for each (``"KMSInternalException" =>
...Error::KmsInternalException``), whether the SDK fills an idempotency token, and whether the
deserializer reads an error inside a ``200 OK`` (S3's ``body_is_error``). For the service: the
name in each operation's ``Metadata`` (``rpc.service``), the SigV4 signing name, the wire protocol
(from the error parser the crate carries and the protocol it installs), whether it is
query-compatible (reads the awsQuery code from ``x-amzn-query-error``), and where the crate says so
(smithy-rs's schema-based codegen), the Smithy service shape and namespace.

Two codegen generations are read: the older one matches error codes in
``protocol_serde/shape_<op>.rs``, the newer (schema-based) one in ``operation/<op>.rs``.

Usage (a report, for review): python3 codegen/sdk_source.py PATH_TO_CRATE
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

META_RE = re.compile(r'Metadata::new\(\s*"(\w+)",\s*"([^"]+)",?\s*\)')
ENUM_RE = re.compile(r"pub enum (\w+)Error \{(.*?)\n\}", re.S)
VARIANT_RE = re.compile(r"^\s+(\w+)\(crate::types::error::(\w+)\),", re.M)
SIGNING_RE = re.compile(r'SigningName::from_static\("([^"]+)"\)')
# `"Code" => crate::operation::<module>::<Op>Error::<Variant>(`, in either generation.
CODE_ARM_RE = re.compile(r'"([^"]+)"\s*=>\s*\{?\s*crate::operation::(\w+)::\w+Error::(\w+)\s*\(')
SHAPE_NAME_RE = re.compile(r'ServiceShapeName::new\("([^"]+)"\)')
SHAPE_NAMESPACE_RE = re.compile(r'ServiceShapeNamespace::new\("([^"]+)"\)')
JSON_VERSION_RE = re.compile(r"application/x-amz-json-(1\.[01])|AwsJsonRpcProtocol::aws_json_1_([01])\(")
MISSING_FIELD_RE = re.compile(r'BuildError::missing_field\(\s*"(\w+)"')
STRING_SETTER_RE = re.compile(r"pub fn (\w+)\(mut self, input: impl ::std::convert::Into<::std::string::String>\) -> Self")
API_METADATA_RE = re.compile(r'ApiMetadata::new\("([^"]+)"')


class SourceError(Exception):
    """The crate's source is not shaped as this reader expects: it names the file and what is
    missing, so a newer smithy-rs codegen is caught, never misread."""


def workspace_packages(root: pathlib.Path, locked: bool = True) -> dict[str, tuple[pathlib.Path, str]]:
    """Every package of the workspace at `root` and its dependencies, by name: (folder, version),
    from `cargo metadata` (`--locked`: exactly as Cargo.lock pins them; unlocked, cargo first
    resolves, fetches and locks what the manifests newly name). Exits with cargo's message when it
    fails."""
    args = ["cargo", "metadata", "--format-version", "1"] + (["--locked"] if locked else [])
    run = subprocess.run(args, cwd=root, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"error: `{' '.join(args[:2])}{' --locked' if locked else ''}` failed; the generator reads the "
                 f"crates Cargo.lock pins (run `cargo metadata` or a build to update it):\n{run.stderr.strip()}")
    return {pkg["name"]: (pathlib.Path(pkg["manifest_path"]).parent, pkg["version"])
            for pkg in json.loads(run.stdout)["packages"]}


def _read(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def protocol(crate_dir: pathlib.Path) -> tuple[str, bool]:
    """(the wire protocol the crate speaks, as `catalog::Protocol` names it; whether it is
    query-compatible). Read from the error parser the crate carries (each protocol's smithy-rs
    codegen writes its own: `ec2_query_errors.rs`, `rest_xml_unwrapped_errors.rs`,
    `rest_xml_wrapped_errors.rs` with `aws-smithy-query` for awsQuery, `cbor_errors.rs`) and, for
    the JSON protocols, the content type or the protocol the config installs."""
    src = crate_dir / "src"
    cargo = _read(crate_dir / "Cargo.toml")
    config = _read(src / "config.rs")
    query_compatible = (src / "aws_query_compatible_errors.rs").exists() or "AwsQueryCompatible" in config
    if (src / "ec2_query_errors.rs").exists():
        return "Ec2Query", False
    if (src / "rest_xml_unwrapped_errors.rs").exists():
        return "RestXml", False
    if (src / "rest_xml_wrapped_errors.rs").exists():
        return ("AwsQuery" if "[dependencies.aws-smithy-query]" in cargo else "RestXml"), False
    # A normal dependency, not a dev-dependency (DynamoDB's crate tests with CBOR, speaks awsJson).
    if (src / "cbor_errors.rs").exists() or "[dependencies.aws-smithy-cbor]" in cargo:
        return "RpcV2Cbor", query_compatible
    versions = set()
    for path in [src / "config.rs", *sorted((src / "operation").glob("*.rs"))[:40],
                 *sorted((src / "protocol_serde").glob("shape_*.rs"))[:80]]:
        for a, b in JSON_VERSION_RE.findall(_read(path)):
            versions.add(a or f"1.{b}")
    if len(versions) > 1:
        raise SourceError(f"{crate_dir}: the crate names two awsJson versions, {sorted(versions)}")
    if versions:
        return ("AwsJson1_0" if versions == {"1.0"} else "AwsJson1_1"), query_compatible
    if "[dependencies.aws-smithy-json]" in cargo:
        return "RestJson1", query_compatible
    raise SourceError(f"{crate_dir}: no error parser of a known protocol (json_errors, cbor_errors, "
                      "rest_xml_*_errors, ec2_query_errors)")


def read_crate(crate_dir: pathlib.Path) -> dict:
    """Everything the generator takes from the crate (see the module docs), as a dict:
    `service`, `signing_name`, `api_id` (its user-agent id), `protocol`, `query_compatible`,
    `service_shape` and `namespace` (where the crate carries them, else None), and `operations`,
    sorted by name, each with `name`, `module`, `errors` (a list of `{"variant", "code"}`: the Rust
    variant of the operation's error enum and the wire code its deserializer matches),
    `sdk_fills_token`, `error_in_200`, `required_fields` (the fields without which the request is
    not sent: URI and host labels) and `callable` (every required field has a string setter and no
    stream of events flows: a call with placeholders reaches the wire)."""
    src = crate_dir / "src"
    if not (src / "operation").is_dir():
        raise SourceError(f"{crate_dir}: no src/operation/ (is this an aws-sdk crate?)")
    config = _read(src / "config.rs")
    signing = set(SIGNING_RE.findall(config)) or set(
        SIGNING_RE.findall("\n".join(_read(p) for p in src.rglob("*.rs"))))
    if len(signing) != 1:
        raise SourceError(f"{crate_dir}: expected one SigV4 signing name, found {sorted(signing)}")
    api_id = API_METADATA_RE.search(_read(src / "meta.rs") or config)
    proto, query_compatible = protocol(crate_dir)
    serde_dir = src / "protocol_serde"
    ops = []
    service_names = set()
    for module in sorted((src / "operation").glob("*.rs")):
        text = module.read_text(encoding="utf-8")
        meta = META_RE.search(text)
        if not meta:
            raise SourceError(f"{module}: no `Metadata::new(\"<Operation>\", \"<service>\")` (a newer codegen?)")
        name, service = meta.groups()
        service_names.add(service)
        enum = ENUM_RE.search(text)
        if not enum or enum.group(1) != name:
            raise SourceError(f"{module}: no `pub enum {name}Error`")
        variants = VARIANT_RE.findall(enum.group(2))
        for variant, shape in variants:
            if variant != shape:
                raise SourceError(f"{module}: variant {variant} wraps {shape}; the generator assumes they match")
        codes: dict[str, str] = {}
        for path in (module, serde_dir / f"shape_{module.stem}.rs"):
            for code, op_module, variant in CODE_ARM_RE.findall(_read(path)):
                if op_module == module.stem and codes.setdefault(variant, code) != code:
                    raise SourceError(f"{module}: the variant {variant} is matched by two codes, "
                                      f"{codes[variant]!r} and {code!r}")
        missing = [v for v, _ in variants if v not in codes]
        if missing:
            raise SourceError(f"{module}: no wire code found for the variant(s) {', '.join(missing)} "
                              "(neither the operation's module nor protocol_serde matches one)")
        op_dir = src / "operation" / module.stem
        # The fields the request cannot be sent without (URI and host labels), and whether each
        # has a string setter: a call that sets them to placeholders reaches the wire.
        required = sorted(set(MISSING_FIELD_RE.findall(text)))
        setters = set(STRING_SETTER_RE.findall(_read(op_dir / "builders.rs")))
        streaming = "EventReceiver" in text or any("EventReceiver" in _read(p) or "EventStreamSender" in _read(p)
                                                   for p in op_dir.glob("_*.rs"))
        ops.append({
            "name": name,
            "module": module.stem,
            "required_fields": required,
            # Callable with placeholders alone: every required field a string, no event stream.
            "callable": not streaming and all(f in setters for f in required),
            "errors": [{"variant": v, "code": codes[v]} for v, _ in variants],
            "sdk_fills_token": "IdempotencyTokenRuntimePlugin" in text,
            # The deserializer reads an error inside a 200 (S3: CopyObject, CompleteMultipartUpload, ...).
            "error_in_200": "body_is_error(body)" in text,
        })
    if len(service_names) != 1:
        raise SourceError(f"{crate_dir}: expected one service name in the operations' Metadata, found {sorted(service_names)}")
    shape_name = SHAPE_NAME_RE.search(config)
    namespace = SHAPE_NAMESPACE_RE.search(config)
    return {
        "service": service_names.pop(),
        "signing_name": signing.pop(),
        "api_id": api_id.group(1) if api_id else None,
        "protocol": proto,
        "query_compatible": query_compatible,
        "service_shape": shape_name.group(1) if shape_name else None,
        "namespace": namespace.group(1) if namespace else None,
        "operations": sorted(ops, key=lambda o: o["name"]),
    }


def codes(crate: dict) -> dict[str, list[str]]:
    """Every wire code the crate's deserializers match, to the variants (error types) it becomes,
    sorted. Most codes become one type; an awsQuery code can name two shapes in two operations
    (CloudWatch's `ResourceNotFound` is `ResourceNotFound` in most and `DashboardNotFoundError` in
    `GetDashboard`)."""
    out: dict[str, set[str]] = {}
    for op in crate["operations"]:
        for error in op["errors"]:
            out.setdefault(error["code"], set()).add(error["variant"])
    return {code: sorted(variants) for code, variants in out.items()}


def operations_with(crate: dict, code: str) -> int:
    """How many operations list an error with `code`."""
    return sum(any(e["code"] == code for e in op["errors"]) for op in crate["operations"])


def main() -> int:
    crate = read_crate(pathlib.Path(sys.argv[1]))
    summary = {k: v for k, v in crate.items() if k != "operations"}
    summary["operations"] = len(crate["operations"])
    summary["codes"] = codes(crate)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
