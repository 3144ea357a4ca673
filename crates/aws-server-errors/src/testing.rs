//! Service fixtures for this crate's unit tests: subsets of five real services' catalogs, with
//! classifiers that read nothing. The adapter crates test their real catalogs and classifiers;
//! the integration tests run them against real clients.

use crate::adapter::{ClassifiedError, ClassifyFn, OperationError};
use crate::catalog::{OperationSpec, Protocol, RetrySafety, ServiceCatalog};
use crate::Service;

fn none(_: &OperationError) -> Option<ClassifiedError<'_>> {
    None
}

const fn op(name: &'static str, http_method: &'static str, retry_safety: RetrySafety) -> OperationSpec {
    OperationSpec { name, http_method, uri: "", retry_safety }
}

const fn catalog(
    service: &'static str,
    sdk_crate: &'static str,
    internal_error_shape: &'static str,
    throttling_shape: &'static str,
    operations: &'static [OperationSpec],
) -> ServiceCatalog {
    ServiceCatalog {
        service,
        sdk_crate,
        sdk_version: "0.0.0",
        protocol: Protocol::RestJson1,
        signing_name: service,
        model_namespace: "com.example",
        model_service: service,
        internal_error_shape,
        throttling_shape,
        throttling_status: 429,
        wire_codes: (internal_error_shape, throttling_shape),
        query_compatible: false,
        operations,
        error_body_members: &["message"],
        success_bodies: &[],
        virtual_hosted_buckets: false,
        errors_in_200: &[],
    }
}

use RetrySafety::*;

static SIGNER_CATALOG: ServiceCatalog = catalog(
    "signer",
    "aws-sdk-signer",
    "InternalServiceErrorException",
    "TooManyRequestsException",
    &[
        op("GetSigningProfile", "GET", SafeHttpMethod),
        op("ListSigningProfiles", "GET", SafeHttpMethod),
        op("StartSigningJob", "POST", IdempotencyToken),
    ],
);
static PINPOINT_CATALOG: ServiceCatalog = catalog(
    "Pinpoint",
    "aws-sdk-pinpoint",
    "InternalServerErrorException",
    "TooManyRequestsException",
    &[
        op("CreateApp", "POST", NotRetrySafe),
        op("GetApp", "GET", SafeHttpMethod),
        op("GetApplicationSettings", "GET", SafeHttpMethod),
        op("SendMessages", "POST", NotRetrySafe),
    ],
);
static ACCOUNT_CATALOG: ServiceCatalog = catalog(
    "Account",
    "aws-sdk-account",
    "InternalServerException",
    "TooManyRequestsException",
    &[op("GetContactInformation", "POST", Readonly)],
);
static BACKUPGATEWAY_CATALOG: ServiceCatalog = catalog(
    "Backup Gateway",
    "aws-sdk-backupgateway",
    "InternalServerException",
    "ThrottlingException",
    &[op("CreateGateway", "POST", NotRetrySafe), op("GetGateway", "POST", Readonly)],
);
static CONNECTCASES_CATALOG: ServiceCatalog = catalog(
    "ConnectCases",
    "aws-sdk-connectcases",
    "InternalServerException",
    "ThrottlingException",
    &[op("CreateCase", "POST", Idempotent), op("CreateLayout", "POST", NotRetrySafe)],
);

pub static SIGNER: Service = Service::new(&SIGNER_CATALOG, &[none as ClassifyFn; 3]);
pub static PINPOINT: Service = Service::new(&PINPOINT_CATALOG, &[none as ClassifyFn; 4]);
pub static ACCOUNT: Service = Service::new(&ACCOUNT_CATALOG, &[none as ClassifyFn; 1]);
pub static BACKUPGATEWAY: Service = Service::new(&BACKUPGATEWAY_CATALOG, &[none as ClassifyFn; 2]);
pub static CONNECTCASES: Service = Service::new(&CONNECTCASES_CATALOG, &[none as ClassifyFn; 2]);

/// Signer's fixture catalog as a generic service (no typed classifiers), as
/// `aws-server-errors-services` has every service: for the registration on any client.
pub static GENERIC_SIGNER: Service = Service::generic(&SIGNER_CATALOG, &["TooManyRequestsException", "Throttled"]);

/// The five fixtures.
pub static ALL: [&Service; 5] = [&SIGNER, &PINPOINT, &ACCOUNT, &BACKUPGATEWAY, &CONNECTCASES];

/// An error the fixtures' classifiers cannot read, as an unmodeled error code is for a real one.
#[derive(Debug)]
pub struct Unmodeled;

impl std::fmt::Display for Unmodeled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unmodeled")
    }
}

impl std::error::Error for Unmodeled {}

/// A response with `status`, an empty body and `headers`.
pub fn response(status: u16, headers: &[(&str, &str)]) -> aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    let body = aws_smithy_types::body::SdkBody::empty();
    let mut response =
        aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(status.try_into().expect("a status"), body);
    for (name, value) in headers {
        response.headers_mut().insert(name.to_string(), value.to_string());
    }
    response
}
