"""How the AWS SDK for Rust names a service's crate, both ways.

The SDK's rule (smithy-rs, ``aws/sdk/build.gradle.kts``, the module of each service): the model's
``sdkId`` in lower case, spaces removed, then a trailing ``service`` and a trailing ``api``
removed. ``"Config Service"`` is ``aws-sdk-config``, ``"Resource Groups Tagging API"`` is
``aws-sdk-resourcegroupstagging``, ``"Backup Gateway"`` is ``aws-sdk-backupgateway``. The key is
the crate's name without ``aws-sdk-``, the name a service has in this project's config.

The other way, key to sdkId, is the inverse over every service botocore ships
(``sdk_ids()``): ``codegen/tests/test_names.py`` checks that it is one to one.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import re

KEY_RE = re.compile(r"[a-z0-9]+")


def crate_key(sdk_id: str) -> str:
    """The SDK crate key of a model's sdkId (`"Config Service"` -> `"config"`)."""
    key = sdk_id.lower().replace(" ", "")
    return key.removesuffix("service").removesuffix("api")


def botocore_data() -> pathlib.Path | None:
    """The models folder of the installed botocore package, if one is installed."""
    try:
        import botocore  # noqa: PLC0415
    except ImportError:
        return None
    return pathlib.Path(botocore.__file__).parent / "data"


def load_json(path: pathlib.Path) -> dict:
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)


def newest_botocore_models(data: pathlib.Path) -> dict[str, pathlib.Path]:
    """Each botocore service folder's newest API version (the one the SDKs are generated from),
    by folder name: `{"lambda": .../lambda/2015-03-31/service-2.json.gz}`. botocore keeps older
    versions beside it (Lambda's 2014-11-11, EC2's 2014-09-01): never read those."""
    out = {}
    for service in sorted(p for p in data.iterdir() if p.is_dir()):
        versions = sorted(v for v in service.iterdir() if v.is_dir() and any(v.glob("service-2.json*")))
        if versions:
            out[service.name] = sorted(versions[-1].glob("service-2.json*"))[0]
    return out


def sdk_ids(data: pathlib.Path) -> dict[str, str]:
    """Crate key -> sdkId for every service of the botocore package at `data`. botocore ships a
    few services under two folders (aliases with one serviceId): one key each."""
    out: dict[str, str] = {}
    for path in newest_botocore_models(data).values():
        sdk_id = load_json(path)["metadata"]["serviceId"]
        key = crate_key(sdk_id)
        if out.setdefault(key, sdk_id) != sdk_id:
            raise ValueError(f"two sdkIds name the crate aws-sdk-{key}: {out[key]!r} and {sdk_id!r}")
    return out
