#!/usr/bin/env python3
"""Create the adapter crate of one more AWS service, from its SDK crate and its models.

    python3 codegen/new_adapter.py dynamodb [--version 1.136.0] [--models ../shared/models]

Steps, each idempotent:
  1. the SDK crate ``aws-sdk-<key>``: the newest release (``cargo info``) unless ``--version``,
     added to the workspace's dependencies with no default features;
  2. the crate's source, read (``sdk_source.py``): its operations, the code each error variant's
     deserializer matches, its protocol; the ground truth for all that follows;
  3. the model facts: ``distill.py <key>`` (the Smithy model in ``--models`` where there is one,
     else botocore's newest API version, from ``--models`` or the pinned ``botocore`` package of
     ``codegen/requirements.txt``, its version checked);
  4. the service's entry in ``codegen/services.json``, with no flag (``service_facts.py``): its
     internal-server error code (a server fault of the model whose code the crate matches, else
     one it matches named ``Internal*``, else the code AWS documents: ``InternalFailure``, EC2's
     ``InternalError``) and its throttling codes (modeled as throttling or 429, the SDK's own
     throttling codes, codes that say ``Throttl``); printed for review, each with its source;
  5. the crate ``crates/aws-server-errors-<key>``: Cargo.toml, README.md (with a doctest),
     src/lib.rs (the ``SERVICE`` handle and the registration), workspace membership;
  6. ``generate.py``: the catalog, the classifiers with their tests (the wire tests through the
     fault kit among them), and the service's section of docs/retry-safety.md.

A run that fails puts back what it changed (the workspace's Cargo.toml and Cargo.lock,
``codegen/services.json``, the service's facts and overlay, docs/retry-safety.md) and removes the
crate it created, then says what failed; ``generate.py --check`` reports anything a run left
behind otherwise.

Then ``cargo test -p aws-server-errors-<key>`` builds and runs the generated tests. What stays
by hand: reviewed retry-safety verdicts (``codegen/retry-safety/<key>.json``), the service's
internal-error members in ``src/lib.rs`` (e.g. a code member as ``error.detail``).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import sdk_source  # noqa: E402
import service_facts  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
CODEGEN = ROOT / "codegen"

def run(*args: str, **kwargs) -> str:
    return subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True, **kwargs).stdout


def newest_version(crate: str) -> str:
    out = run("cargo", "info", crate)
    match = re.search(r"^version: (\S+)", out, re.M)
    if not match:
        sys.exit(f"error: `cargo info {crate}` printed no version")
    return match.group(1)


def add_dependency(key: str, version: str) -> None:
    """The SDK crate in `[workspace.dependencies]` (so that cargo fetches and locks it)."""
    path = ROOT / "Cargo.toml"
    text = path.read_text()
    sdk = f'aws-sdk-{key} = {{ version = "{version}", default-features = false }}\n'
    if f"aws-sdk-{key} =" not in text:
        anchor = "aws-smithy-runtime-api = "
        text = text.replace(anchor, sdk + anchor, 1)
    path.write_text(text)


def add_member(key: str) -> None:
    """The adapter crate in `[workspace.dependencies]` and in `members`, once it exists."""
    path = ROOT / "Cargo.toml"
    text = path.read_text()
    adapter = f'aws-server-errors-{key} = {{ path = "crates/aws-server-errors-{key}", version = "0.1.0" }}\n'
    if f"aws-server-errors-{key} =" not in text:
        anchor = "aws-server-errors-fault = {"
        text = text.replace(anchor, adapter + anchor, 1)
    member = f'    "crates/aws-server-errors-{key}",\n'
    if member not in text:
        anchor = '    "crates/aws-server-errors-fault",\n'
        text = text.replace(anchor, member + anchor, 1)
    path.write_text(text)


def sdk_crate_dir(key: str) -> pathlib.Path:
    """The folder of the aws-sdk-<key> crate the workspace now locks (cargo fetches it)."""
    found = sdk_source.workspace_packages(ROOT, locked=False).get(f"aws-sdk-{key}")
    if found is None:
        sys.exit(f"error: cargo metadata lists no aws-sdk-{key}")
    return found[0]


def service_entry(key: str, crate: dict, given_internal: str | None, given_throttling: list[str]) -> dict:
    """The internal-server error and throttling codes of the service (`service_facts.derive_entry`:
    from the crate's source and the model facts, with no flag), or as given."""
    facts = json.loads((CODEGEN / "model-facts" / f"{key}.json").read_text())
    entry = service_facts.derive_entry(key, crate, facts)
    if given_internal:
        entry["internal"], entry["internal_source"] = given_internal, "given: --internal"
    if given_throttling:
        entry["throttling"] = given_throttling
        entry["throttling_source"] = "given: --throttling"
    return entry


CARGO_TOML = """[package]
name = "aws-server-errors-{key}"
description = "The {display} adapter of aws-server-errors: classifies the errors of every aws-sdk-{key} operation and registers the internal-server-error policy on its clients in one call."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
homepage.workspace = true
keywords.workspace = true
categories.workspace = true
documentation = "https://docs.rs/aws-server-errors-{key}"
readme = "README.md"

[lints]
workspace = true

# Benchmarks live in integration-tests; `cargo bench` should not build this as one.
[lib]
bench = false

[dependencies]
aws-sdk-{key}.workspace = true
aws-server-errors.workspace = true

[dev-dependencies]
# The README's example (a doctest). Path-only: cargo drops it from the published manifest (the
# fault kit depends on the core crate).
aws-server-errors-fault = {{ path = "../aws-server-errors-fault" }}
# The generated wire tests (paused time).
tokio = {{ workspace = true, features = ["rt", "macros", "test-util"] }}
"""

README = """# aws-server-errors-{key}

The {display} adapter of [aws-server-errors](https://crates.io/crates/aws-server-errors): it
classifies the errors of every operation of [`aws-sdk-{key}`](https://crates.io/crates/aws-sdk-{key})
(its internal-server error is `{internal}`) into one taxonomy and registers the
internal-server-error policy on {display} clients in one call, `server_error_policy(&policy)`.

```rust
use aws_server_errors::{{PolicyConfig, ServerErrorPolicy}};
use aws_server_errors_{crate}::{{ServerErrorPolicyExt as _, SERVICE}};

let policy = ServerErrorPolicy::with_services(PolicyConfig::default(), [&SERVICE])?;
// In an application: aws_config::load_defaults(BehaviorVersion::latest()).await.
let sdk_config = aws_server_errors_fault::sdk_config("http://localhost");
let config = aws_sdk_{crate}::config::Builder::from(&sdk_config).server_error_policy(&policy).build();
let _client = aws_sdk_{crate}::Client::from_conf(config);
assert_eq!(SERVICE.key(), "{key}"); // its key in a config's `services`
# Ok::<(), aws_server_errors::ConfigError>(())
```

The crate enables no feature of `aws-sdk-{key}`: your application's own features and version (any
semver-compatible release) apply. Operations newer than the adapter's tables are handled as
not retry-safe. Apache-2.0.
"""

LIB_RS = """#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

aws_server_errors::define_adapter!(aws_sdk_{crate});
"""

# The mapping of a modeled internal-server error (its members go here: Signer's `code`, ...).
INTERNAL_FN = """
use aws_server_errors::adapter::{{ClassifiedError, ErrorClass}};

/// {display}'s `{shape}` (wire code `{internal}`).
pub(crate) fn internal_error(x: &aws_sdk_{crate}::types::error::{variant}) -> ClassifiedError<'_> {{
    ClassifiedError::modeled(x, ErrorClass::InternalServerError, "{shape}")
}}
"""


def write_manifest(key: str, display: str) -> None:
    """The crate's Cargo.toml and a placeholder lib.rs: enough for cargo to resolve, fetch and lock
    the SDK crate, whose source the rest of the run reads."""
    crate_dir = ROOT / "crates" / f"aws-server-errors-{key}"
    (crate_dir / "src").mkdir(parents=True, exist_ok=True)
    manifest = crate_dir / "Cargo.toml"
    if not manifest.exists():
        manifest.write_text(CARGO_TOML.format(key=key, display=display))
        print(f"wrote {manifest.relative_to(ROOT)}")
    placeholder = crate_dir / "src" / "lib.rs"
    if not placeholder.exists():
        placeholder.write_text("")


def write_crate(key: str, entry: dict, crate: dict) -> None:
    crate_dir = ROOT / "crates" / f"aws-server-errors-{key}"
    facts = json.loads((CODEGEN / "model-facts" / f"{key}.json").read_text())
    variants = sdk_source.codes(crate).get(entry["internal"], [])
    values = {"key": key, "crate": key.replace("-", "_"), **entry,
              "variant": variants[0] if variants else "", "shape": service_facts.shape_of(entry["internal"], facts, crate)}
    # An internal error the crate has no variant for (S3's `InternalError`, SQS's
    # `InternalFailure`) arrives unmodeled and is classified by its code: no typed mapping.
    lib_rs = LIB_RS + (INTERNAL_FN if variants else "")
    for path, template in [
        (crate_dir / "README.md", README),
        (crate_dir / "src" / "lib.rs", lib_rs),
    ]:
        if path.exists() and path.read_text():
            print(f"kept {path.relative_to(ROOT)} (exists)")
            continue
        path.write_text(template.format(**values))
        print(f"wrote {path.relative_to(ROOT)}")
    license_file = ROOT / "crates" / "aws-server-errors" / "LICENSE"
    if license_file.exists() and not (crate_dir / "LICENSE").exists():
        (crate_dir / "LICENSE").write_text(license_file.read_text())


class Transaction:
    """What a run changes, to put back if it fails: the files it edits, as they were, and the crate
    folder it creates."""

    def __init__(self, key: str) -> None:
        edited = [
            ROOT / "Cargo.toml",
            ROOT / "Cargo.lock",
            CODEGEN / "services.json",
            CODEGEN / "model-facts" / f"{key}.json",
            CODEGEN / "retry-safety" / f"{key}.json",
            ROOT / "docs" / "retry-safety.md",
        ]
        self.saved = {path: path.read_bytes() if path.exists() else None for path in edited}
        self.crate_dir = ROOT / "crates" / f"aws-server-errors-{key}"
        self.crate_existed = self.crate_dir.exists()

    def rollback(self) -> None:
        for path, content in self.saved.items():
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(content)
        if not self.crate_existed:
            shutil.rmtree(self.crate_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Create the adapter crate of one more AWS service.")
    parser.add_argument("key", help="the SDK crate's name without aws-sdk-, e.g. dynamodb")
    parser.add_argument("--version", help="the aws-sdk-<key> release (default: the newest)")
    parser.add_argument("--models", default=str(ROOT.parent / "shared" / "models"))
    parser.add_argument("--internal", help="override: the internal-server error's code (never needed: found from the "
                        "crate and the models, else the code AWS documents)")
    parser.add_argument("--throttling", action="append", help="override: a throttling code (never needed)")
    args = parser.parse_args()
    key = args.key
    if not re.fullmatch(r"[a-z0-9]+", key):
        sys.exit(f"error: {key!r} is not an SDK crate key (lower-case letters and digits, e.g. dynamodb)")

    transaction = Transaction(key)
    try:
        create(key, args)
    except BaseException as error:
        transaction.rollback()
        if isinstance(error, subprocess.CalledProcessError):
            output = (error.stderr or error.stdout or "").strip()
            print(f"error: `{' '.join(map(str, error.cmd))}` failed (exit {error.returncode})"
                  + (f":\n{output}" if output else ""), file=sys.stderr)
        elif not isinstance(error, SystemExit):
            print(f"error: {error!r}", file=sys.stderr)
        print(f"the tree is as it was before the run (Cargo.toml, Cargo.lock, codegen/services.json, the "
              f"facts of {key}; no crates/aws-server-errors-{key}). Fix the cause above and run again.",
              file=sys.stderr)
        if isinstance(error, SystemExit):
            raise
        return 1
    print(f"next: cargo test -p aws-server-errors-{key}")
    return 0


def create(key: str, args: argparse.Namespace) -> None:
    """The steps of the module docs, in order."""
    version = args.version or newest_version(f"aws-sdk-{key}")
    add_dependency(key, version)
    print(f"aws-sdk-{key} {version}: added to the workspace")
    subprocess.run([sys.executable, str(CODEGEN / "distill.py"), "--models", args.models, key], cwd=ROOT, check=True)
    facts = json.loads((CODEGEN / "model-facts" / f"{key}.json").read_text())
    write_manifest(key, facts.get("sdk_id") or key)
    add_member(key)

    crate = sdk_source.read_crate(sdk_crate_dir(key))  # resolves, fetches and locks the SDK crate
    print(f"aws-sdk-{key} {version}: {len(crate['operations'])} operations, {crate['protocol']}"
          + (" (query-compatible)" if crate["query_compatible"] else ""))

    services_path = CODEGEN / "services.json"
    services = json.loads(services_path.read_text())
    if key not in services:
        services[key] = service_entry(key, crate, args.internal, args.throttling or [])
        services_path.write_text(json.dumps(services, indent=2) + "\n")
    print(f"codegen/services.json: {key} = {json.dumps(services[key])} (review it)")

    write_crate(key, services[key], crate)
    subprocess.run([sys.executable, str(CODEGEN / "generate.py")], cwd=ROOT, check=True)


if __name__ == "__main__":
    sys.exit(main())
