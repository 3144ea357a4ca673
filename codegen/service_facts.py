"""One service's error facts: the SDK crate's source (which codes its deserializers match, as
which variant) joined with the model's (each error's fault, status and throttling trait).

Used by ``new_adapter.py`` (to write a service's entry, unattended), ``generate.py`` (to classify
every variant and to check the entry) and ``survey.py``. The source is the ground truth for
codes; the model adds what the source does not carry. A model error that names a variant of the
crate but is sent with another code than the one the crate matches is a disagreement, reported
with both.

The internal-server error, in order: a server-fault error of the model whose code the crate
matches, status 500 and named ``Internal*`` first; else a code the crate matches named
``Internal*``; else the code AWS documents for the protocol family where the service models none,
classified without a typed variant: ``InternalError`` for EC2 (ec2Query), ``InternalFailure``
for the others (both from AWS's documented common errors, ``DOCUMENTED`` below).

Throttling: every code the crate matches whose model error is throttling (``@retryable(throttling:
true)``) or has status 429, then every code it matches among the SDK's own throttling codes
(aws-runtime's ``THROTTLING_ERRORS``, read from the aws-runtime crate the workspace locks), then
the codes that say ``Throttl`` (``KMS.ThrottlingException``: a rate limit met on the caller's
behalf, modeled as a client error); where it matches none, the code AWS documents for the protocol
family (``DOCUMENTED``). A quota error is not throttling because of its shape name (IAM's
``LimitExceededException`` is sent as ``LimitExceeded``, a 409, in no list); ``LimitExceededException``
itself is in the SDK's list, so it is throttling as the SDK retries it, though some services (KMS)
use it for quotas, and it never leads. A model's server fault (a 5xx) is never throttling by name
or list (Lambda's ``EC2ThrottledException`` is a 502): it may have been applied.
"""

from __future__ import annotations

import pathlib
import re

import sdk_source

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Where a service models no internal error or no throttling error: the code AWS documents for all
# services of a protocol family, its HTTP status, and the page that documents it.
DOCUMENTED = {
    # S3 (restXml): its own error codes page.
    "s3": {
        "internal": ("InternalError", 500),
        "throttling": ("SlowDown", 503),
        "source": "https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html",
    },
    "Ec2Query": {
        "internal": ("InternalError", 500),
        "throttling": ("RequestLimitExceeded", 503),
        "source": "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html",
    },
    "AwsQuery": {
        "internal": ("InternalFailure", 500),
        "throttling": ("Throttling", 400),
        "source": "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html",
    },
    "other": {
        "internal": ("InternalFailure", 500),
        "throttling": ("ThrottlingException", 400),
        "source": "https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html",
    },
}


# Each service's own page of the common errors, where it has one: cited instead of the family's.
COMMON_ERRORS_PAGES = {
    "sqs": "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html",
    "sts": "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html",
    "kms": "https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html",
    "iam": "https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html",
    "states": "https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html",
    "config": "https://docs.aws.amazon.com/config/latest/APIReference/CommonErrors.html",
}


def documented(protocol: str, signing_name: str = "", query_compatible: bool = False) -> dict:
    """The documented codes for a service of `protocol` (S3's own, by its signing name; a
    query-compatible service's are awsQuery's), citing the service's own page where it has one."""
    if query_compatible:
        protocol = "AwsQuery"
    found = DOCUMENTED.get(signing_name if signing_name == "s3" else protocol, DOCUMENTED["other"])
    page = COMMON_ERRORS_PAGES.get(signing_name)
    return {**found, "source": page} if page else found


def aws_runtime_dir() -> pathlib.Path:
    """The aws-runtime crate the workspace locks."""
    found = sdk_source.workspace_packages(ROOT).get("aws-runtime")
    if found is None:
        raise SystemExit("error: cargo metadata lists no aws-runtime")
    return found[0]


_SDK_THROTTLING: list[str] | None = None


def sdk_throttling_codes() -> list[str]:
    """aws-runtime's `retries::classifiers::THROTTLING_ERRORS`, read from its source."""
    global _SDK_THROTTLING
    if _SDK_THROTTLING is None:
        text = (aws_runtime_dir() / "src" / "retries" / "classifiers.rs").read_text()
        match = re.search(r"pub const THROTTLING_ERRORS: &\[&str\] = &\[(.*?)\];", text, re.S)
        if not match:
            raise SystemExit("error: aws-runtime's retries/classifiers.rs has no THROTTLING_ERRORS")
        _SDK_THROTTLING = re.findall(r'"([^"]+)"', match.group(1))
    return _SDK_THROTTLING


def normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def uses_query_codes(crate: dict) -> bool:
    """Whether the crate matches the models' awsQuery error codes (`@awsQueryError`): awsQuery
    and ec2Query crates, and query-compatible ones. Others match the shape's name, although their
    models may still carry the trait (KMS's `DependencyTimeoutException`, code
    `DependencyTimeout`, is sent and matched as `DependencyTimeoutException`)."""
    return crate["protocol"] in ("AwsQuery", "Ec2Query") or crate["query_compatible"]


def model_errors_by_code(facts: dict, crate: dict) -> dict[str, tuple[str, dict]]:
    """The model's errors by the code each is sent with: its awsQuery code where the crate
    matches those (`uses_query_codes`), else its name."""
    query = uses_query_codes(crate)
    return {((e.get("code") if query else None) or shape): (shape, e) for shape, e in facts["errors"].items()}


def disagreements(crate: dict, facts: dict, key: str) -> list[str]:
    """Where the crate and the model disagree on an error's code: the model has a shape that is
    the crate's variant, but sends it with a code the crate does not match."""
    by_code = model_errors_by_code(facts, crate)
    by_name = {normalized(shape): (shape, e) for shape, e in facts["errors"].items()}
    out = []
    matched = sdk_source.codes(crate)
    for code, variants in matched.items():
        if code in by_code:
            continue
        for variant in variants:
            shape, e = by_name.get(normalized(variant), (None, None))
            sent = (e.get("code") if uses_query_codes(crate) else None) if shape else None
            sent = sent or shape
            if shape is not None and sent not in matched:
                out.append(f"aws-sdk-{key} matches the code {code!r} for {variant}, the model "
                           f"({', '.join(facts.get('models', []))}) sends {shape} as {sent!r}")
    return out


def is_server_fault(e: dict) -> bool:
    """A model error that is the server's fault, or arrives with a 5xx status."""
    return e["fault"] == "server" or (e.get("http_status") or 0) >= 500


def modeled_throttling(e: dict) -> bool:
    """A model error the model itself calls throttling (`@retryable(throttling: true)`) or gives
    status 429 (Too Many Requests: refused, RFC 6585 §4)."""
    return bool(e["throttling"]) or e.get("http_status") == 429


def is_throttling_by_name(code: str) -> bool:
    """A code that says it is throttling (`KMS.ThrottlingException`, SQS `KmsThrottled`, SNS
    `KMSThrottling`): a rate limit a service met on the caller's behalf, which it models as a
    plain client error. The request was refused, not applied. Only the stem `Throttl` counts: a
    quota error (`LimitExceeded`) is not throttling by its name."""
    return "throttl" in code.lower()


def class_of(code: str, entry: dict, facts: dict, crate: dict) -> str:
    """The taxonomy class of an error code of the service (`ErrorClass` variant name)."""
    if code == entry["internal"]:
        return "InternalServerError"
    found = model_errors_by_code(facts, crate).get(code)
    if found is not None and is_server_fault(found[1]) and not modeled_throttling(found[1]):
        # A modeled server fault may have been applied whatever its name or the SDK's list say
        # (Lambda's EC2ThrottledException is a 502): never throttling, which is retried as
        # refused.
        return "ServerError"
    if code in entry["throttling"] or is_throttling_by_name(code):
        return "Throttling"
    if found is None:
        return "Throttling" if code in sdk_throttling_codes() else "Unknown"
    if modeled_throttling(found[1]):
        return "Throttling"
    return "ClientError"


INTERNAL_NAMES = re.compile(r"Service(Failure|Exception|Error|Fault)|ServerError|InternalFailure")


def internal_rank(code: str) -> int:
    """0 for a code named as an internal error (`InternalServerException`, KMS's
    `KMSInternalException`), 1 for one named as the service's failure (IAM `ServiceFailure`,
    Lambda `ServiceException`), 2 for any other."""
    if "nternal" in code:
        return 0
    return 1 if INTERNAL_NAMES.search(code) else 2


def derive_entry(key: str, crate: dict, facts: dict) -> dict:
    """The service's entry of codegen/services.json, from the crate and the model alone: its
    display name, internal-error code and throttling codes (see the module docs), each with its
    source."""
    by_code = model_errors_by_code(facts, crate)
    matched = sdk_source.codes(crate)
    fallback = documented(crate["protocol"], crate["signing_name"], crate["query_compatible"])
    servers = [c for c in matched if c in by_code and by_code[c][1]["fault"] == "server"
               and by_code[c][1].get("http_status") in (500, None)]
    # Named as an internal error first, then the one most operations list (an internal error can
    # happen anywhere).
    servers.sort(key=lambda c: (internal_rank(c), by_code[c][1].get("http_status") != 500,
                                -sdk_source.operations_with(crate, c), c))
    # A server fault not named as an internal error (Auto Scaling's ResourceContention, Elastic
    # Load Balancing's HealthUnavailable) is a server error of its own, not the internal error.
    servers = [c for c in servers if internal_rank(c) < 2]
    named = sorted(c for c in matched if internal_rank(c) == 0 and c not in by_code)
    if servers:
        internal, internal_source = servers[0], "model: server fault" + (", 500" if by_code[servers[0]][1].get("http_status") else "")
    elif named:
        internal, internal_source = named[0], "the SDK crate matches it; not in the models"
    else:
        internal, internal_source = fallback["internal"][0], f"documented: {fallback['source']}"
    # The first is what the fault kit sends: a modeled throttling error; else, in this order, an
    # SDK code that says it throttles, another SDK code (DynamoDB's and Kinesis's
    # ProvisionedThroughputExceededException), a code that says it throttles (a rate limit met on
    # the caller's behalf), and last an SDK code that names a limit (`LimitExceededException`,
    # which KMS and others use for quotas). Where no SDK code that throttles is matched, the code
    # AWS documents (one of the SDK's) leads.
    modeled = sorted((c for c in matched if c in by_code and modeled_throttling(by_code[c][1])),
                     key=lambda c: (not is_throttling_by_name(c), c))
    sdk_codes = sdk_throttling_codes()

    def rank(code: str) -> tuple[int, int]:
        in_sdk = code in sdk_codes
        order = sdk_codes.index(code) if in_sdk else 0
        if in_sdk and is_throttling_by_name(code):
            return 0, order
        if in_sdk and "LimitExceeded" not in code:
            return 1, order
        return (2, order) if not in_sdk else (3, order)

    others = sorted((c for c in matched if c not in modeled and (c in sdk_codes or is_throttling_by_name(c))
                     and not (c in by_code and is_server_fault(by_code[c][1]))),
                    key=lambda c: (rank(c), c))
    throttling = modeled + others
    if not modeled and (not others or rank(others[0])[0] >= 2):
        throttling = [fallback["throttling"][0]] + [c for c in throttling if c != fallback["throttling"][0]]
    entry = {
        "display": facts.get("sdk_id") or crate["service"],
        "internal": internal,
        "internal_source": internal_source,
        "throttling": throttling,
    }
    if throttling[0] == fallback["throttling"][0] and throttling[0] not in matched:
        entry["throttling_source"] = f"documented: {fallback['source']}"
    return entry


def status_of(code: str, facts: dict, crate: dict, internal: bool) -> int:
    """The HTTP status an error code arrives with: its model's; else the documented one of the
    protocol family; else 500 for an internal error and 400 for throttling (awsJson and awsQuery
    send throttling as a 400 with its code)."""
    found = model_errors_by_code(facts, crate).get(code)
    if found and found[1].get("http_status"):
        return found[1]["http_status"]
    fallback = documented(crate["protocol"], crate["signing_name"], crate["query_compatible"])
    for kind in ("internal", "throttling"):
        if fallback[kind][0] == code:
            return fallback[kind][1]
    return 500 if internal else 400


def shape_of(code: str, facts: dict, crate: dict) -> str:
    """The model's shape name for a code (SNS `InternalError` is `InternalErrorException`), else
    the code: the `error.type` the policy reports."""
    found = model_errors_by_code(facts, crate).get(code)
    return found[0] if found else code
