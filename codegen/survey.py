#!/usr/bin/env python3
"""Survey how far the adapter generator's fact pipeline reaches: run it, without compiling
anything, over the SDK's most used crates and write ``docs/coverage.md``.

For each crate ``aws-sdk-<key>``: its newest release on crates.io (the sparse index; a copy already
in ``~/.cargo/registry/src`` is used as is, else the ``.crate`` is downloaded and extracted into
``--cache``, and reused from there), read by ``sdk_source.read_crate``; the service's model facts
merged in memory as ``distill.distill`` merges them (Smithy first, botocore's operations and errors
filling in), so nothing under ``codegen/`` is written; then the retry-safety verdicts
(``generate.retry_safety``, with the service's reviewed overlay where it has one), the
internal-error and throttling codes (``service_facts.derive_entry``) and the disagreements between
crate and model. A crate that fails at any step still gets its row, naming the failure.

Usage: python3 codegen/survey.py [--keys KEY ...] [--models ../shared/models]
                                 [--cache target/survey-crates] [--out docs/coverage.md]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import io
import json
import pathlib
import re
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.request

import distill
import generate
import names
import sdk_source
import service_facts

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The SDK's most used crates: the adapters of this project first, then the most downloaded.
KEYS = """account backupgateway connectcases dynamodb pinpoint s3 signer sns sqs lambda kinesis sts kms
ec2 iam cloudwatch sfn config secretsmanager eventbridge cloudfront rds elasticache appmesh
cloudwatchlogs ecs ecr eks route53 ssm athena glue firehose apigateway cognitoidentityprovider sesv2
elasticloadbalancingv2 autoscaling cloudformation codebuild efs organizations bedrockruntime
apigatewayv2 acm ses bedrock sagemaker batch codepipeline opensearch""".split()

# Every `catalog::Protocol` the fault kit writes responses for (query-compatible ones included).
FAULT_KIT_PROTOCOLS = {"RestJson1", "RpcV2Cbor", "AwsJson1_0", "AwsJson1_1", "RestXml", "AwsQuery", "Ec2Query"}

# `RetrySafety` variant -> its label in the doc; the first three are the model-based verdicts.
VERDICTS = {"Readonly": "readonly", "Idempotent": "idempotent", "IdempotencyToken": "token",
            "Documented": "reviewed", "SafeHttpMethod": "HTTP method", "NamingConvention": "naming",
            "NotRetrySafe": "none", "Unmodeled": "unmodeled"}
MODEL_BASED = ("Readonly", "Idempotent", "IdempotencyToken")


def _version_key(vers: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in vers.split("+")[0].split("."))


def fetch(key: str, cache: pathlib.Path) -> tuple[pathlib.Path, str]:
    """(folder, version) of the newest non-yanked release of `aws-sdk-<key>`, fetched if needed."""
    name = f"aws-sdk-{key}"
    try:
        with urllib.request.urlopen(f"https://index.crates.io/{name[:2]}/{name[2:4]}/{name}", timeout=60) as r:
            entries = [json.loads(line) for line in r.read().decode().splitlines() if line.strip()]
    except urllib.error.HTTPError as error:
        raise LookupError(f"{name} is not on crates.io (HTTP {error.code})") from None
    releases = [e["vers"] for e in entries if not e["yanked"] and "-" not in e["vers"]]
    if not releases:
        raise LookupError(f"{name} has no non-yanked release")
    vers = max(releases, key=_version_key)
    for folder in sorted(pathlib.Path.home().glob(f".cargo/registry/src/*/{name}-{vers}")):
        if (folder / "Cargo.toml").exists():
            return folder, vers
    target = cache / f"{name}-{vers}"
    if not (target / "Cargo.toml").exists():
        url = f"https://static.crates.io/crates/{name}/{name}-{vers}.crate"
        with urllib.request.urlopen(url, timeout=300) as r:
            data = r.read()
        staging = cache / f".{name}-{vers}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(staging, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        (staging / f"{name}-{vers}").rename(target)
        shutil.rmtree(staging)
    return target, vers


class Models:
    """The models of the surveyed services, found as `distill.smithy_model` and
    `distill.botocore_model` find them (same folders, same order), but with each file read once
    for all the keys rather than once per key."""

    SDK_ID_RE = re.compile(r'"sdkId"\s*:\s*"([^"]+)"')

    def __init__(self, folder: pathlib.Path, keys: list[str]):
        wanted = set(keys)
        self.smithy: dict[str, pathlib.Path] = {}
        self.botocore: dict[str, tuple[dict, str]] = {}
        for sub in ("smithy", "smithy-all"):
            for path in sorted((folder / sub).glob("*.json")):
                text = path.read_text()
                if not any(names.crate_key(s) in wanted - set(self.smithy) for s in self.SDK_ID_RE.findall(text)):
                    continue
                for shape in json.loads(text).get("shapes", {}).values():
                    if shape.get("type") == "service":
                        sdk_id = shape.get("traits", {}).get("aws.api#service", {}).get("sdkId", "")
                        self.smithy.setdefault(names.crate_key(sdk_id), path)
        for path in sorted((folder / "botocore").glob("*.json")):
            model = names.load_json(path)
            key = names.crate_key(model.get("metadata", {}).get("serviceId", ""))
            if key in wanted and key not in self.botocore:
                self.botocore[key] = model, f"botocore {path.parent.name}/{path.name}"
        data = distill.checked_botocore_data()
        for path in (names.newest_botocore_models(data).values() if data else []):
            model = names.load_json(path)
            key = names.crate_key(model["metadata"]["serviceId"])
            if key in wanted and key not in self.botocore:
                source = f"botocore {distill.pinned_botocore()} {path.parent.parent.name}/{path.parent.name}"
                self.botocore[key] = model, source

    def facts(self, key: str) -> dict:
        """The service's facts as `distill.distill` would write them to codegen/model-facts/."""
        smithy_path, (botocore, botocore_source) = self.smithy.get(key), self.botocore.get(key, (None, None))
        if smithy_path is None and botocore is None:
            raise LookupError(f"no Smithy or botocore model whose sdkId names aws-sdk-{key}")
        return distill.merged(key, smithy_path, botocore, botocore_source)


def survey(key: str, fetched: concurrent.futures.Future, models: Models) -> dict:
    """One row of the table: each column's text, the problems, and the numbers for the totals."""
    row = {"crate": f"aws-sdk-{key}", "protocol": "", "ops": "", "verdicts": "", "internal": "",
           "throttling": "", "fault_kit": "", "problems": [], "n_ops": 0, "n_model": 0, "modeled_ops": 0,
           "internal_kind": None}
    try:
        crate_dir, version = fetched.result()
        row["crate"] += f"@{version}"
        crate = sdk_source.read_crate(crate_dir)
        protocol = crate["protocol"]
        row["protocol"] = protocol + (", query-compatible" if crate["query_compatible"] else "")
        row["fault_kit"] = "yes" if protocol in FAULT_KIT_PROTOCOLS else "no"
        row["n_ops"] = len(crate["operations"])
        row["ops"] = f"{row['n_ops']} / ?"
        facts = models.facts(key)
        missing = [op["name"] for op in crate["operations"] if op["name"] not in facts["operations"]]
        row["ops"] = f"{row['n_ops']} / {len(facts['operations'])} / {len(missing)}"
        if problem := generate.protocol_problem(crate, facts, key):
            row["problems"].append(problem)
        overlay = generate.load_overlay(key)[0]
        counts: dict[str, int] = {}
        for op in crate["operations"]:
            verdict, _ = generate.retry_safety(op, facts["operations"].get(op["name"]), protocol, overlay)
            counts[verdict] = counts.get(verdict, 0) + 1
        row["verdicts"] = ", ".join(f"{label} {counts[v]}" for v, label in VERDICTS.items() if counts.get(v))
        row["n_model"] = sum(counts.get(v, 0) for v in MODEL_BASED)
        row["modeled_ops"] = row["n_ops"]
        entry = service_facts.derive_entry(key, crate, facts)
        source = entry["internal_source"]
        row["internal_kind"] = next((k for k in ("model", "documented") if source.startswith(k)), "crate")
        typed = "typed" if entry["internal"] in sdk_source.codes(crate) else "untyped"
        row["internal"] = f"`{entry['internal']}` ({row['internal_kind']}, {typed})"
        throttling = entry["throttling"]
        row["throttling"] = ", ".join(f"`{c}`" for c in throttling[:3]) + (", …" if len(throttling) > 3 else "")
        if "throttling_source" in entry:
            row["throttling"] += " (documented)"
        row["problems"] += service_facts.disagreements(crate, facts, key)
    except (sdk_source.SourceError, LookupError) as error:
        row["problems"].append(str(error))
    except Exception as error:  # noqa: BLE001 (unattended: any failure is the crate's row)
        row["problems"].append(f"{type(error).__name__}: {error}")
    return row


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict], started: str) -> str:
    read = [r for r in rows if r["modeled_ops"]]
    ops, model_based = sum(r["modeled_ops"] for r in read), sum(r["n_model"] for r in read)
    kinds = {k: sum(r["internal_kind"] == k for r in rows) for k in ("model", "crate", "documented")}
    botocore = f"botocore {distill.pinned_botocore()}" if names.botocore_data() else "no botocore"
    lines = [
        f"<!-- @generated by codegen/survey.py on {started} from crates.io, the models folder and {botocore}. "
        "Do not edit: run `python3 codegen/survey.py`. -->",
        "# Coverage of the adapter generator",
        "",
        "How far the generator's fact pipeline reaches across the AWS SDK for Rust: each crate's",
        "newest release read from its source, joined with its service's models, as `codegen/new_adapter.py`",
        "and `codegen/generate.py` would, without compiling anything. Regenerate with",
        "`python3 codegen/survey.py` (`--keys KEY ...` for a subset).",
        "",
        "Columns:",
        "",
        "- **crate**: the crate and the version surveyed (the newest on crates.io when surveyed).",
        "- **protocol**: the wire protocol its source speaks (`sdk_source.py`), and whether it is",
        "  query-compatible (sends the awsQuery code in `x-amzn-query-error`).",
        "- **operations**: in the crate / in the models (Smithy and botocore merged) / the crate's",
        "  operations in neither model.",
        "- **retry-safe verdicts**: operations by verdict source (`generate.retry_safety`): `readonly`,",
        "  `idempotent`, `token` (from the model); `reviewed` (codegen/retry-safety/); `HTTP method` (REST",
        "  GET, HEAD, PUT, DELETE); `naming` (`Get*`, `List*`, ...); `none` (not retry-safe: no source, or",
        "  reviewed as unsafe); `unmodeled` (the operation is in no model).",
        "- **internal error**: the code `service_facts.derive_entry` picks, where from (`model`: a server",
        "  fault of the model; `crate`: a code the crate matches, named `Internal*`; `documented`: AWS's",
        "  common error for the protocol), and whether the crate has a variant for it (`typed`).",
        "- **throttling**: the throttling codes (first three); `(documented)` where the crate matches none.",
        "- **fault kit**: whether `aws-server-errors-fault` writes this protocol's responses.",
        "- **problems**: the crate's source unreadable, no model, a protocol mismatch between crate and model",
        "  (a crate speaking RPC v2 CBOR where the model names another is not one), and codes on which",
        "  crate and model disagree; each in full below the table.",
        "",
        "| crate | protocol | operations (crate / model / missing) | retry-safe verdicts | internal error | throttling | fault kit | problems |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        problems = "; ".join(p[:90] + ("…" if len(p) > 90 else "") for p in r["problems"][:2])
        problems += f"; {len(r['problems']) - 2} more" if len(r["problems"]) > 2 else ""
        cols = [r["crate"], r["protocol"], r["ops"], r["verdicts"], r["internal"], r["throttling"], r["fault_kit"],
                problems or "none"]
        lines.append("| " + " | ".join(cell(c) or "—" for c in cols) + " |")
    lines += [
        "",
        "## Totals",
        "",
        f"- crates: {len(rows)} ({len(read)} read with their models, {sum(bool(r['problems']) for r in rows)} with problems)",
        f"- operations: {ops}, of which {model_based} ({100 * model_based / max(ops, 1):.1f}%) have a model-based verdict",
        f"- internal error found from the model: {kinds['model']} crates; matched by the crate only: {kinds['crate']}; "
        f"documented fallback: {kinds['documented']}",
        "",
        "## Problems in full",
        "",
    ]
    lines += [f"- `{r['crate']}`: {p}" for r in rows for p in r["problems"]] or ["None."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", nargs="+", default=KEYS, help="crate keys to survey (default: the built-in list)")
    parser.add_argument("--models", default=str(ROOT.parent / "shared" / "models"))
    parser.add_argument("--cache", default=str(ROOT / "target" / "survey-crates"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "coverage.md"))
    args = parser.parse_args()
    keys = sorted(set(args.keys))
    cache = pathlib.Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    models_dir = pathlib.Path(args.models)
    if not models_dir.is_dir():
        print(f"note: no models folder at {models_dir}: botocore's models alone", file=sys.stderr)
    start, started = time.monotonic(), datetime.date.today().isoformat()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        fetched = {key: pool.submit(fetch, key, cache) for key in keys}
        models = Models(models_dir, keys)
        rows = []
        for key in keys:
            rows.append(survey(key, fetched[key], models))
            print(f"{rows[-1]['crate']}: {rows[-1]['ops'] or 'failed'}"
                  + (f" ({len(rows[-1]['problems'])} problem(s))" if rows[-1]["problems"] else ""), file=sys.stderr)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(rows, started))
    print(f"wrote {out} ({len(rows)} crates) in {time.monotonic() - start:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
