//! What this crate knows about each service and operation, independent of the SDK's types.
//!
//! The tables in `generated` are produced by `codegen/generate.py` from the pinned SDK crates
//! (which operations exist) and from facts distilled out of the public Smithy and botocore models
//! (`codegen/model-facts/`: readonly / idempotent traits, HTTP bindings). CI regenerates them and
//! fails when they are stale.

mod generated;

pub use generated::{ACCOUNT, BACKUPGATEWAY, CONNECTCASES, PINPOINT, SIGNER};

/// The five service catalogs, in a fixed order.
pub static ALL: [&ServiceCatalog; 5] = [&SIGNER, &PINPOINT, &ACCOUNT, &BACKUPGATEWAY, &CONNECTCASES];

/// The wire protocol a service's SDK crate speaks. Generated-code support (the fault kit and
/// classification read it).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `aws.protocols#restJson1`: HTTP bindings per operation, JSON bodies, error shape in the
    /// `x-amzn-ErrorType` header or the body's `code` / `__type`.
    RestJson1,
    /// `smithy.protocols#rpcv2Cbor`: `POST /service/<Service>/operation/<Operation>`, CBOR bodies,
    /// error shape in the body's `__type`. Backup Gateway's crate speaks it since version 1.107.
    RpcV2Cbor,
}

/// Why an operation may or may not be retried after an internal-server error.
///
/// The first variant that applies wins, in the order listed. Sources: the service's Smithy model
/// for the traits and HTTP method, the SDK crate for whether it fills an idempotency token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrySafety {
    /// The model marks the operation `@readonly`.
    Readonly,
    /// The model marks the operation `@idempotent`.
    Idempotent,
    /// The input has an `@idempotencyToken` member that the SDK fills once per call, so every
    /// retry carries the same token and the service can deduplicate it.
    IdempotencyToken,
    /// A REST protocol binds the operation to GET, HEAD, PUT or DELETE, which HTTP defines as
    /// idempotent (RFC 9110, section 9.2.2).
    SafeHttpMethod,
    /// None of the above: retrying after a 500 may apply the request twice.
    NotRetrySafe,
    /// The operation is in the SDK crate but in neither model; treated as not retry-safe.
    Unmodeled,
}

impl RetrySafety {
    /// `true` for the variants that allow a retry after an internal-server error by default.
    pub const fn is_retry_safe(self) -> bool {
        !matches!(self, Self::NotRetrySafe | Self::Unmodeled)
    }

    /// A stable lower-case name, used in logs (`retry_safety`) and docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Readonly => "readonly",
            Self::Idempotent => "idempotent",
            Self::IdempotencyToken => "idempotency_token",
            Self::SafeHttpMethod => "safe_http_method",
            Self::NotRetrySafe => "not_retry_safe",
            Self::Unmodeled => "unmodeled",
        }
    }
}

/// One operation of a service, as [`ServiceCatalog::operation`] returns it. Read it to know, in a
/// test or at start-up, whether the policy retries an operation after an internal-server error,
/// and why.
///
/// ```
/// use aws_server_errors::catalog::{RetrySafety, PINPOINT};
///
/// let send = PINPOINT.operation("SendMessages").unwrap();
/// assert_eq!(send.retry_safety, RetrySafety::NotRetrySafe, "a POST without an idempotency token");
/// assert!(PINPOINT.operation("GetApp").unwrap().retry_safety.is_retry_safe());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// The operation's name as the SDK reports it in its `Metadata`, e.g. `"GetSigningProfile"`.
    pub name: &'static str,
    /// The HTTP method of its request, e.g. `"GET"`; `""` if no model has the operation.
    pub http_method: &'static str,
    /// The request URI template from the model's `@http` trait (for example
    /// `"/signing-profiles/{profileName}"`), or the RPC path for RPC protocols; `""` if unknown.
    pub uri: &'static str,
    /// Whether an internal-server error may be retried by default, and why.
    pub retry_safety: RetrySafety,
}

/// Everything this crate knows about one service.
#[derive(Debug)]
pub struct ServiceCatalog {
    /// The service name the SDK puts in its `Metadata`, e.g. `"signer"`, `"Backup Gateway"`.
    /// Logged as `rpc.service`.
    pub service: &'static str,
    /// The SDK crate the catalog was generated from, e.g. `"aws-sdk-signer"`.
    pub sdk_crate: &'static str,
    /// The version of that crate.
    pub sdk_version: &'static str,
    /// The protocol the crate speaks on the wire.
    #[doc(hidden)]
    pub protocol: Protocol,
    /// The SigV4 signing name, e.g. `"mobiletargeting"` for Pinpoint.
    #[doc(hidden)]
    pub signing_name: &'static str,
    /// The Smithy namespace of the service's shapes, e.g. `"com.amazonaws.signer"`.
    #[doc(hidden)]
    pub model_namespace: &'static str,
    /// The Smithy service shape's name, e.g. `"BackupOnPremises_v20210101"` (the RPC path segment).
    #[doc(hidden)]
    pub model_service: &'static str,
    /// The name of the service's internal-server error shape, e.g. `"InternalServiceErrorException"`.
    pub internal_error_shape: &'static str,
    /// The name of the service's throttling error shape, e.g. `"TooManyRequestsException"`.
    pub throttling_shape: &'static str,
    /// All operations of the crate, sorted by name (byte order).
    pub operations: &'static [OperationSpec],
}

impl ServiceCatalog {
    /// The key that names this service in a [`PolicyConfig`](crate::PolicyConfig): the crate name
    /// without `aws-sdk-`, e.g. `"backupgateway"`.
    pub fn key(&self) -> &'static str {
        self.sdk_crate.trim_start_matches("aws-sdk-")
    }

    /// The index of an operation in [`operations`](Self::operations), by binary search
    /// (at most 7 string comparisons for Pinpoint's 122 operations).
    #[doc(hidden)]
    pub fn operation_index(&self, name: &str) -> Option<usize> {
        self.operations.binary_search_by(|op| op.name.cmp(name)).ok()
    }

    /// An operation by name.
    pub fn operation(&self, name: &str) -> Option<&'static OperationSpec> {
        self.operation_index(name).map(|i| &self.operations[i])
    }

    /// The catalog whose [`key`](Self::key) is `key`, if any.
    pub fn by_key(key: &str) -> Option<&'static ServiceCatalog> {
        ALL.iter().copied().find(|c| c.key() == key)
    }

    /// The catalog a user-facing name means: its [`key`](Self::key) (`"backupgateway"`) or its
    /// [`service`](Self::service) name as logs and metrics show it (`"Backup Gateway"`),
    /// compared ignoring ASCII case.
    ///
    /// ```
    /// use aws_server_errors::catalog::{ServiceCatalog, BACKUPGATEWAY, PINPOINT};
    /// assert!(std::ptr::eq(ServiceCatalog::by_name("Pinpoint").unwrap(), &PINPOINT));
    /// assert!(std::ptr::eq(ServiceCatalog::by_name("backup gateway").unwrap(), &BACKUPGATEWAY));
    /// assert!(ServiceCatalog::by_name("s3").is_none());
    /// ```
    pub fn by_name(name: &str) -> Option<&'static ServiceCatalog> {
        ALL.iter().copied().find(|c| c.key().eq_ignore_ascii_case(name) || c.service.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_sorted_and_unique() {
        for catalog in ALL {
            for pair in catalog.operations.windows(2) {
                assert!(pair[0].name < pair[1].name, "{}: {} !< {}", catalog.service, pair[0].name, pair[1].name);
            }
        }
    }

    #[test]
    fn operation_counts_match_the_pinned_crates() {
        let counts: Vec<_> = ALL.iter().map(|c| (c.key(), c.operations.len())).collect();
        assert_eq!(
            counts,
            [("signer", 19), ("pinpoint", 122), ("account", 18), ("backupgateway", 25), ("connectcases", 43)]
        );
    }

    #[test]
    fn lookup_finds_first_middle_and_last() {
        for catalog in ALL {
            for op in [
                catalog.operations.first(),
                catalog.operations.get(catalog.operations.len() / 2),
                catalog.operations.last(),
            ] {
                let op = op.unwrap();
                assert_eq!(catalog.operation(op.name), Some(op));
            }
            assert_eq!(catalog.operation("NoSuchOperation"), None);
        }
    }

    #[test]
    fn retry_safety_follows_the_models() {
        use RetrySafety::*;
        let cases = [
            (&PINPOINT, "SendMessages", NotRetrySafe),
            (&PINPOINT, "GetApp", SafeHttpMethod),
            (&SIGNER, "StartSigningJob", IdempotencyToken),
            (&CONNECTCASES, "CreateCase", Idempotent),
            (&CONNECTCASES, "CreateLayout", NotRetrySafe),
            (&BACKUPGATEWAY, "GetGateway", Readonly),
            (&BACKUPGATEWAY, "CreateGateway", NotRetrySafe),
        ];
        for (catalog, op, expected) in cases {
            assert_eq!(catalog.operation(op).unwrap().retry_safety, expected, "{op}");
        }
    }
}
