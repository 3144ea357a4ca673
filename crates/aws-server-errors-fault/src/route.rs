//! Which service and operation an HTTP request is for, read from the request as a server would.

use aws_server_errors::catalog::{OperationSpec, Protocol, ServiceCatalog};
use aws_server_errors::Service;

/// The service of `services` a request is for: from the RPC v2 path
/// (`/service/<Service>/operation/<Op>`), the awsJson `X-Amz-Target` (`<Service>.<Op>`), else from
/// the SigV4 credential scope in `Authorization` (`Credential=AKID/date/region/<name>/...`).
pub fn service_of(
    path: &str,
    target: Option<&str>,
    authorization: Option<&str>,
    services: &[&'static Service],
) -> Option<&'static Service> {
    let model_service = match path.strip_prefix("/service/") {
        Some(rest) => Some(rest.split('/').next()?),
        None => target.and_then(|t| t.split_once('.')).map(|(name, _)| name),
    };
    if let Some(name) = model_service {
        return services.iter().copied().find(|s| s.catalog().model_service == name);
    }
    let signing_name = authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|scope| scope.split([',', ' ']).next()?.split('/').nth(3));
    services.iter().copied().find(|s| Some(s.catalog().signing_name) == signing_name)
}

/// The service of an unsigned request (SSO's operations take a bearer token, not SigV4): the first
/// of `services` one of whose REST operations its method and path match.
pub fn unsigned_service_of(
    services: &[&'static Service],
    method: &str,
    path_and_query: &str,
    host: Option<&str>,
) -> Option<&'static Service> {
    services.iter().copied().find(|s| {
        matches!(s.catalog().protocol, Protocol::RestJson1 | Protocol::RestXml)
            && operation_of(s.catalog(), method, path_and_query, None, &[], host).is_some()
    })
}

/// The bucket a virtual-hosted-style request names in its host (`bucket.127.0.0.1:4566`,
/// `bucket.localhost`, `bucket.s3.us-east-1.amazonaws.com`), or `None` for a path-style request
/// (`127.0.0.1:4566`, `s3.us-east-1.amazonaws.com`). `catalog` is the service's: its endpoint
/// hosts start with its signing name (`s3.`, `s3-`), and only a service whose SDK crate addresses
/// buckets in the host has any ([`ServiceCatalog::virtual_hosted_buckets`]).
pub fn virtual_host_bucket<'a>(catalog: &ServiceCatalog, host: &'a str) -> Option<&'a str> {
    if !catalog.virtual_hosted_buckets {
        return None;
    }
    let host = host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |h| h.0);
    let service_host = |h: &str| {
        h.strip_prefix(catalog.signing_name).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('-'))
    };
    let is_endpoint = |h: &str| h.parse::<std::net::IpAddr>().is_ok() || h == "localhost" || service_host(h);
    if is_endpoint(host) {
        return None;
    }
    let (bucket, rest) = host.split_once('.')?;
    is_endpoint(rest).then_some(bucket)
}

/// The operation a request is for: by its RPC v2 path, awsJson `X-Amz-Target` or awsQuery
/// form-encoded `Action=` in the body, else by the catalog's HTTP bindings (with a
/// virtual-hosted-style request's bucket, from its host, put back in front of its path). Among
/// several matching URI templates, the one with the most literal path segments and query literals
/// wins.
pub fn operation_of(
    catalog: &ServiceCatalog,
    method: &str,
    path_and_query: &str,
    target: Option<&str>,
    body: &[u8],
    host: Option<&str>,
) -> Option<&'static OperationSpec> {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let bucketed;
    let path = match host.and_then(|host| virtual_host_bucket(catalog, host)) {
        Some(bucket) => {
            bucketed = format!("/{bucket}{path}");
            bucketed.as_str()
        }
        None => path,
    };
    match catalog.protocol {
        Protocol::RpcV2Cbor => return catalog.operation(path.rsplit('/').next()?),
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => return catalog.operation(target?.split_once('.')?.1),
        Protocol::AwsQuery | Protocol::Ec2Query => {
            let form = std::str::from_utf8(body).ok()?;
            return catalog.operation(form.split('&').find_map(|pair| pair.strip_prefix("Action="))?);
        }
        _ => {}
    }
    // `/bucket/` (a virtual-hosted bucket's root, made a path) is `/bucket` (see `score`).
    let trimmed = path.trim_start_matches('/');
    let segments: Vec<&str> = trimmed.strip_suffix('/').unwrap_or(trimmed).split('/').collect();
    let query_keys: Vec<&str> = query.split('&').filter(|q| !q.is_empty()).collect();
    catalog
        .operations
        .iter()
        .filter(|op| op.http_method.eq_ignore_ascii_case(method))
        .filter_map(|op| score(op.uri, &segments, &query_keys).map(|s| (s, op)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, op)| op)
}

/// `Some(literal count)` when `template` matches; `None` otherwise.
fn score(template: &str, segments: &[&str], query: &[&str]) -> Option<usize> {
    let (tpath, tquery) = template.split_once('?').unwrap_or((template, ""));
    // A trailing `/` is not a segment, in the template as in the path.
    let tpath = tpath.trim_start_matches('/');
    let tsegs: Vec<&str> = tpath.strip_suffix('/').unwrap_or(tpath).split('/').collect();
    let mut literals = 0;
    let mut greedy = false;
    for (i, t) in tsegs.iter().enumerate() {
        if t.starts_with('{') && t.ends_with("+}") {
            // A greedy label takes the rest of the path, at least one non-empty segment; the
            // query's literals still decide between operations (S3's `?x-id=GetObject`,
            // `?uploads`).
            if segments[i.min(segments.len())..].iter().all(|s| s.is_empty()) {
                return None;
            }
            greedy = true;
            break;
        }
        let s = segments.get(i)?;
        if t.starts_with('{') {
            if s.is_empty() {
                return None;
            }
        } else if t != s {
            return None;
        } else {
            literals += 1;
        }
    }
    if !greedy && segments.len() != tsegs.len() {
        return None;
    }
    for literal in tquery.split('&').filter(|q| !q.is_empty()) {
        let present = query.iter().any(|q| *q == literal || q.split('=').next() == Some(literal));
        if !present {
            return None;
        }
        literals += 1;
    }
    Some(literals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_server_errors_backupgateway::SERVICE as BACKUPGATEWAY;
    use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    use aws_server_errors_signer::SERVICE as SIGNER;

    static ALL: [&Service; 5] = [
        &SIGNER,
        &PINPOINT,
        &aws_server_errors_account::SERVICE,
        &BACKUPGATEWAY,
        &aws_server_errors_connectcases::SERVICE,
    ];

    #[test]
    fn rest_paths_resolve_to_operations() {
        let op = |s: &Service, m, p| operation_of(s.catalog(), m, p, None, b"", None).map(|o: &OperationSpec| o.name);
        assert_eq!(op(&SIGNER, "GET", "/signing-profiles/my-profile"), Some("GetSigningProfile"));
        assert_eq!(op(&SIGNER, "GET", "/signing-profiles"), Some("ListSigningProfiles"));
        assert_eq!(op(&PINPOINT, "POST", "/v1/apps/abc/messages"), Some("SendMessages"));
        assert_eq!(op(&PINPOINT, "GET", "/v1/apps/abc"), Some("GetApp"));
        assert_eq!(op(&PINPOINT, "GET", "/v1/apps/abc/settings"), Some("GetApplicationSettings"));
        assert_eq!(
            op(&BACKUPGATEWAY, "POST", "/service/BackupOnPremises_v20210101/operation/GetGateway"),
            Some("GetGateway")
        );
        assert_eq!(op(&SIGNER, "PATCH", "/signing-profiles/x"), None);
    }

    #[test]
    fn every_rest_operation_routes_to_itself() {
        for service in ALL {
            let catalog = service.catalog();
            for op in catalog.operations {
                // Fill each label with a sample value and each query literal with itself.
                let (path, query) = op.uri.split_once('?').unwrap_or((op.uri, ""));
                let path: Vec<String> =
                    path.split('/').map(|s| if s.starts_with('{') { "x".to_owned() } else { s.to_owned() }).collect();
                let uri = if query.is_empty() { path.join("/") } else { format!("{}?{query}", path.join("/")) };
                assert_eq!(
                    operation_of(catalog, op.http_method, &uri, None, b"", None).map(|o| o.name),
                    Some(op.name),
                    "{uri}"
                );
            }
        }
    }

    #[test]
    fn buckets_in_the_host_only_for_a_service_whose_sdk_puts_them_there() {
        let s3 = aws_server_errors_s3::SERVICE.catalog();
        assert_eq!(virtual_host_bucket(s3, "receipts.s3.us-east-1.amazonaws.com"), Some("receipts"));
        assert_eq!(virtual_host_bucket(s3, "receipts.127.0.0.1:4566"), Some("receipts"));
        assert_eq!(virtual_host_bucket(s3, "s3.us-east-1.amazonaws.com"), None, "path style");
        assert_eq!(virtual_host_bucket(s3, "127.0.0.1:4566"), None, "path style");
        assert_eq!(virtual_host_bucket(SIGNER.catalog(), "receipts.localhost"), None, "Signer has no buckets");
        let get =
            operation_of(s3, "GET", "/key.txt?x-id=GetObject", None, b"", Some("receipts.s3.us-east-1.amazonaws.com"));
        assert_eq!(get.map(|o| o.name), Some("GetObject"));
    }

    #[test]
    fn service_comes_from_the_credential_scope_or_rpc_path() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/mobiletargeting/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(service_of("/v1/apps", None, Some(auth), &ALL), Some(&PINPOINT));
        assert_eq!(
            service_of("/service/BackupOnPremises_v20210101/operation/GetGateway", None, None, &ALL),
            Some(&BACKUPGATEWAY)
        );
        assert_eq!(service_of("/v1/apps", None, None, &ALL), None);
        assert_eq!(unsigned_service_of(&ALL, "GET", "/v1/apps/abc", None), Some(&PINPOINT), "by its REST operations");
        assert_eq!(unsigned_service_of(&ALL, "PATCH", "/nowhere", None), None);
        assert_eq!(service_of("/v1/apps", None, Some(auth), &[&SIGNER]), None, "a service the server was not given");
        let dynamodb = &aws_server_errors_dynamodb::SERVICE;
        let target = Some("DynamoDB_20120810.GetItem");
        assert_eq!(service_of("/", target, None, &[&SIGNER, dynamodb]), Some(dynamodb));
        assert_eq!(operation_of(dynamodb.catalog(), "POST", "/", target, b"", None).map(|o| o.name), Some("GetItem"));
        assert_eq!(
            operation_of(dynamodb.catalog(), "POST", "/", None, b"", None),
            None,
            "awsJson names its operation in the target"
        );
    }
}
