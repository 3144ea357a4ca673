//! The bytes each service puts on the wire for a failure, and for a bare success.
//!
//! Sources: the Smithy models (status codes, members and their HTTP bindings) and the protocols'
//! specifications. restJson1: the error shape's name goes in `x-amzn-ErrorType` (AWS appends
//! `:<namespace URL>`, which the SDK strips), members in a JSON body unless bound to a header.
//! Smithy RPC v2 CBOR: the shape id goes in the body's `__type`, members beside it, with the
//! `smithy-protocol: rpc-v2-cbor` header. awsJson 1.0 / 1.1: the shape id in the JSON body's
//! `__type`, members beside it, `Content-Type: application/x-amz-json-1.0` (or 1.1). awsQuery: an XML
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>` with the
//! error's awsQuery code (SNS `InternalError`, `Throttled`), and a success wrapped in
//! `<{Operation}Response><{Operation}Result/>`. restXml (S3): an XML `<Error><Code/><Message/>
//! <RequestId/><HostId/></Error>` with `x-amz-request-id` and `x-amz-id-2` (or inside a `200 OK`:
//! [`Fault::InternalErrorIn200`]), and a success with the output's root element where it has one.
//! ec2Query (EC2): an XML `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
//! </Response>`, and a success as `<{Operation}Response>` with the members inside.
//! Query-compatible services (SQS, CloudWatch: JSON or CBOR, with the model's `awsQueryCompatible`
//! trait) also send the awsQuery code in `x-amzn-query-error: <Code>;<Sender|Receiver>`, the one
//! their SDK crates match. Every error carries the code the SDK crate's deserializer matches
//! (`ServiceCatalog::wire_codes`, read from the crate): the shape's name, or its awsQuery code.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use crate::Fault;
use aws_server_errors::catalog::Protocol;
use aws_server_errors::Service;

/// The message every injected error carries.
pub const MESSAGE: &str = "Injected by aws-server-errors-fault";
/// The service-specific code member of injected errors (Signer `code`, Backup Gateway `ErrorCode`).
pub const ERROR_CODE: &str = "InjectedFault";

/// The response a service sends for `fault`, with `request_id` in `x-amzn-RequestId` (and in a
/// body member named for it, as Pinpoint's `RequestID`).
pub fn error_response(service: &Service, fault: &Fault, request_id: &str) -> Response<Bytes> {
    let catalog = service.catalog();
    // The error's shape, and its code for the XML protocols (SNS `Throttled`, S3 `SlowDown`).
    let (status, shape, code) = match fault {
        Fault::Throttling => (
            StatusCode::from_u16(catalog.throttling_status).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
            catalog.throttling_shape,
            catalog.wire_codes.1,
        ),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, catalog.internal_error_shape, catalog.wire_codes.0),
    };
    if let Fault::BareStatus { status, body } = fault {
        // No error type, no JSON, no AWS request id: a gateway's page. An invalid status code is
        // sent as 500.
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Response::builder()
            .status(status)
            .header("Content-Type", "text/html")
            .body(Bytes::from(body.clone()))
            .expect("response parts are valid");
    }
    if let Fault::Malformed = fault {
        return gateway_500(Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR));
    }
    let mut builder = Response::builder().status(status).header("x-amzn-RequestId", request_id);
    let kind = if *fault == Fault::Throttling { "Sender" } else { "Receiver" };
    // The type id of a JSON or CBOR error: the shape id, whose name part a query-compatible
    // service's SDK does not read (it reads the header below); else the code the SDK matches.
    let type_id = format!("{}#{}", catalog.model_namespace, if catalog.query_compatible { shape } else { code });
    if catalog.query_compatible {
        builder = builder.header("x-amzn-query-error", format!("{code};{kind}"));
    }
    if let Fault::InternalErrorWithRetryAfter(value) = fault {
        builder = builder.header("Retry-After", HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
    }
    let body = match catalog.protocol {
        Protocol::RestJson1 => {
            builder = builder.header("Content-Type", "application/json").header(
                "x-amzn-ErrorType",
                format!("{code}:http://internal.amazon.com/coral/{}/", catalog.model_namespace),
            );
            json_error(None, catalog.error_body_members, request_id)
        }
        Protocol::RpcV2Cbor => {
            builder = builder.header("Content-Type", "application/cbor").header("smithy-protocol", "rpc-v2-cbor");
            let mut entries = vec![("__type", type_id.as_str())];
            entries.extend(error_members(catalog.error_body_members, request_id));
            cbor(&entries)
        }
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => {
            builder = builder.header("Content-Type", aws_json_content_type(catalog.protocol));
            json_error(Some(type_id), catalog.error_body_members, request_id)
        }
        Protocol::AwsQuery => {
            builder = builder.header("Content-Type", "text/xml");
            Bytes::from(format!(
                "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{MESSAGE}</Message></Error>\
                 <RequestId>{request_id}</RequestId></ErrorResponse>"
            ))
        }
        Protocol::RestXml => {
            let host_id = format!("fault-kit-host-id-{request_id}");
            if *fault == Fault::InternalErrorIn200 {
                builder = builder.status(StatusCode::OK);
            }
            builder = builder
                .header("Content-Type", "application/xml")
                .header("x-amz-request-id", request_id)
                .header("x-amz-id-2", host_id.as_str());
            Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{MESSAGE}</Message>\
                 <RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
            ))
        }
        Protocol::Ec2Query => {
            builder = builder.header("Content-Type", "text/xml;charset=UTF-8");
            Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                 <Message>{MESSAGE}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            ))
        }
    };
    builder.body(body).expect("response parts are valid")
}

/// What a load balancer in front of a service sends for a 500: no error type, no AWS request id,
/// not the protocol's format.
fn gateway_500(builder: http::response::Builder) -> Response<Bytes> {
    builder
        .header("Content-Type", "text/html")
        .body(Bytes::from_static(b"<html><body><h1>500 Internal Server Error</h1></body></html>"))
        .expect("static response parts are valid")
}

/// A JSON error body: `__type` first when given (awsJson), then the error's members.
fn json_error(type_id: Option<String>, members: &'static [&'static str], request_id: &str) -> Bytes {
    let mut body = serde_json::Map::new();
    if let Some(type_id) = type_id {
        body.insert("__type".to_owned(), type_id.into());
    }
    for (name, value) in error_members(members, request_id) {
        body.insert(name.to_owned(), value.into());
    }
    Bytes::from(serde_json::Value::Object(body).to_string())
}

/// The body members of an injected error, from the internal-error shape's members as the model
/// names them on the wire (Signer `message` and `code`, Pinpoint `Message` and `RequestID`, Backup
/// Gateway `ErrorCode` and `Message`; members bound to headers, as Account's `errorType` and
/// Connect Cases' `retryAfterSeconds`, are not in the list): a message member gets [`MESSAGE`], a
/// request-id member the request id, any other (a service-specific code) [`ERROR_CODE`].
fn error_members<'a>(members: &'static [&'static str], request_id: &'a str) -> Vec<(&'static str, &'a str)> {
    members
        .iter()
        .map(|&name| {
            let lower = name.to_ascii_lowercase();
            let value = if lower.contains("message") {
                MESSAGE
            } else if lower.contains("requestid") {
                request_id
            } else {
                ERROR_CODE
            };
            (name, value)
        })
        .collect()
}

/// A valid success of `operation`, as AWS sends it: `200` with its required string members
/// (nested in required structures) and the identifiers AWS returns with every success (SNS
/// `MessageId`, S3 `UploadId`) set to non-empty placeholders (`"fault-kit-<member>"`), in the
/// service's protocol (awsQuery: the two wrappers; restXml: the output's root element, if it has
/// one), an `ETag` header where the output binds one (S3's objects), and a body where the output
/// is a blob (S3 `GetObject`: `fault-kit-body`). The SDK fills every other required member with
/// its own default (client-side error correction). So an id the response carries (Connect Cases
/// `CreateCase`'s `caseId`) can be used in a next request.
pub fn success(service: &Service, operation: Option<&str>, request_id: &str) -> Response<Bytes> {
    let catalog = service.catalog();
    let skeleton = operation.map_or("{}", |operation| catalog.success_body(operation));
    let skeleton: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(skeleton).expect("generated bodies are JSON objects");
    // Keys starting with `@` are not body members (see `ServiceCatalog::success_bodies`).
    let text = |key: &str| skeleton.get(key).and_then(|v| v.as_str());
    let members: serde_json::Map<String, serde_json::Value> =
        skeleton.iter().filter(|(k, _)| !k.starts_with('@')).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut response = match (catalog.protocol, operation) {
        (Protocol::AwsQuery, Some(operation)) => {
            // The SDK's awsQuery parser wants the two wrappers.
            let body = format!(
                "<{operation}Response><{operation}Result>{}</{operation}Result><ResponseMetadata><RequestId>\
                 {request_id}</RequestId></ResponseMetadata></{operation}Response>",
                xml_members(&members)
            );
            Response::builder()
                .status(StatusCode::OK)
                .header("x-amzn-RequestId", request_id)
                .header("Content-Type", "text/xml")
                .body(Bytes::from(body))
                .expect("response parts are valid")
        }
        (Protocol::Ec2Query, Some(operation)) => {
            // The SDK's ec2Query parser wants `<{Operation}Response>` as the root.
            let body = format!(
                "<{operation}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{request_id}\
                 </requestId>{}</{operation}Response>",
                xml_members(&members)
            );
            Response::builder()
                .status(StatusCode::OK)
                .header("Content-Type", "text/xml;charset=UTF-8")
                .body(Bytes::from(body))
                .expect("response parts are valid")
        }
        (Protocol::RestXml, _) => {
            // The root element the SDK's parser wants (`<CompleteMultipartUploadResult/>`) with
            // the members, or the blob payload, or nothing (an output bound to headers only).
            let body = match (text("@xml_root"), text("@payload")) {
                (Some(root), _) if members.is_empty() => Bytes::from(format!("<{root}/>")),
                (Some(root), _) => Bytes::from(format!("<{root}>{}</{root}>", xml_members(&members))),
                (None, Some(payload)) => Bytes::from(payload.to_owned()),
                (None, None) => Bytes::new(),
            };
            let content_type = if text("@payload").is_some() { "application/octet-stream" } else { "application/xml" };
            Response::builder()
                .status(StatusCode::OK)
                .header("x-amzn-RequestId", request_id)
                .header("x-amz-request-id", request_id)
                .header("Content-Type", content_type)
                .body(body)
                .expect("response parts are valid")
        }
        _ => success_with_body(service, &serde_json::Value::Object(members), request_id),
    };
    if let Some(etag) = text("@header:ETag") {
        response.headers_mut().insert("ETag", HeaderValue::from_str(etag).expect("generated ETags are valid"));
    }
    response
}

/// XML elements for JSON members: strings as text, objects as nested elements (escaped).
fn xml_members(members: &serde_json::Map<String, serde_json::Value>) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    members
        .iter()
        .map(|(name, value)| match value {
            serde_json::Value::Object(inner) => format!("<{name}>{}</{name}>", xml_members(inner)),
            serde_json::Value::String(text) => format!("<{name}>{}</{name}>", escape(text)),
            other => format!("<{name}>{}</{name}>", escape(&other.to_string())),
        })
        .collect()
}

/// The `Content-Type` of an awsJson protocol.
fn aws_json_content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::AwsJson1_1 => "application/x-amz-json-1.1",
        _ => "application/x-amz-json-1.0",
    }
}

/// A success with `body` (a JSON value), encoded as the service's protocol does: JSON for
/// restJson1 and awsJson, CBOR for RPC v2 CBOR; for the XML protocols, an empty body (`body` is
/// not encoded).
pub fn success_with_body(service: &Service, body: &serde_json::Value, request_id: &str) -> Response<Bytes> {
    let builder = Response::builder().status(StatusCode::OK).header("x-amzn-RequestId", request_id);
    let protocol = service.catalog().protocol;
    match protocol {
        Protocol::RestJson1 => builder.header("Content-Type", "application/json").body(Bytes::from(body.to_string())),
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => {
            builder.header("Content-Type", aws_json_content_type(protocol)).body(Bytes::from(body.to_string()))
        }
        Protocol::RestXml | Protocol::AwsQuery | Protocol::Ec2Query => {
            builder.header("Content-Type", "application/xml").header("x-amz-request-id", request_id).body(Bytes::new())
        }
        Protocol::RpcV2Cbor => {
            let mut out = Vec::new();
            ciborium::into_writer(body, &mut out).expect("writing CBOR to a Vec cannot fail");
            builder
                .header("Content-Type", "application/cbor")
                .header("smithy-protocol", "rpc-v2-cbor")
                .body(Bytes::from(out))
        }
    }
    .expect("response parts are valid")
}

/// A minimal success: `200` with an empty JSON object or CBOR map (an empty body for the XML
/// protocols). The SDK fills the output's required members with defaults (client-side error
/// correction: `""` for a string). For benchmarks, where the body must be the same for every
/// operation; [`success`] is valid for the SDK's builders.
pub fn empty_success(service: &Service, request_id: &str) -> Response<Bytes> {
    success_with_body(service, &serde_json::Value::Object(serde_json::Map::new()), request_id)
}

/// A CBOR map of text keys to text values, encoded with `ciborium`.
fn cbor(entries: &[(&str, &str)]) -> Bytes {
    let map = ciborium::Value::Map(
        entries.iter().map(|(k, v)| (ciborium::Value::Text((*k).into()), ciborium::Value::Text((*v).into()))).collect(),
    );
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).expect("writing CBOR to a Vec cannot fail");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_server_errors_backupgateway::SERVICE as BACKUPGATEWAY;
    use aws_server_errors_connectcases::SERVICE as CONNECTCASES;
    use aws_server_errors_pinpoint::SERVICE as PINPOINT;
    use aws_server_errors_signer::SERVICE as SIGNER;

    #[test]
    fn backup_gateway_errors_are_cbor_with_a_shape_id() {
        let response = error_response(&BACKUPGATEWAY, &Fault::InternalError, "req-1");
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["smithy-protocol"], "rpc-v2-cbor");
        let value: ciborium::Value = ciborium::from_reader(response.body().as_ref()).unwrap();
        let map = value.as_map().unwrap();
        let get = |k: &str| map.iter().find(|(key, _)| key.as_text() == Some(k)).and_then(|(_, v)| v.as_text());
        assert_eq!(get("__type"), Some("com.amazonaws.backupgateway#InternalServerException"));
        assert_eq!(get("ErrorCode"), Some(ERROR_CODE));
        assert_eq!(get("Message"), Some(MESSAGE));
    }

    #[test]
    fn error_bodies_hold_the_members_each_model_gives_its_internal_error() {
        let body = |service: &Service| -> serde_json::Value {
            serde_json::from_slice(error_response(service, &Fault::InternalError, "req-3").body()).unwrap()
        };
        assert_eq!(body(&SIGNER), serde_json::json!({ "message": MESSAGE, "code": ERROR_CODE }));
        assert_eq!(body(&CONNECTCASES), serde_json::json!({ "message": MESSAGE }), "retryAfterSeconds is a header");
        assert_eq!(body(&aws_server_errors_account::SERVICE), serde_json::json!({ "message": MESSAGE }));
    }

    #[test]
    fn pinpoint_errors_carry_the_request_id_in_the_body() {
        let response = error_response(&PINPOINT, &Fault::InternalError, "req-2");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["RequestID"], "req-2");
        assert!(response.headers()["x-amzn-ErrorType"].to_str().unwrap().starts_with("InternalServerErrorException:"));
    }

    #[test]
    fn a_success_carries_the_required_strings_of_its_operation() {
        let response = success(&CONNECTCASES, Some("CreateCase"), "r");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body, serde_json::json!({ "caseId": "fault-kit-caseId", "caseArn": "fault-kit-caseArn" }));
        let response = success(&CONNECTCASES, Some("NoSuchOperation"), "r");
        assert_eq!(response.body().as_ref(), b"{}");
        let response = success(&BACKUPGATEWAY, Some("GetGateway"), "r");
        let value: ciborium::Value = ciborium::from_reader(response.body().as_ref()).unwrap();
        assert!(value.as_map().is_some(), "{value:?}");
    }

    #[test]
    fn aws_json_errors_carry_the_shape_id_in_the_body_and_throttling_is_a_400() {
        let dynamodb = &aws_server_errors_dynamodb::SERVICE;
        let response = error_response(dynamodb, &Fault::InternalError, "req-4");
        assert_eq!(
            (response.status().as_u16(), response.headers()["Content-Type"].to_str().unwrap()),
            (500, "application/x-amz-json-1.0")
        );
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({ "__type": "com.amazonaws.dynamodb#InternalServerError", "message": MESSAGE })
        );
        let response = error_response(dynamodb, &Fault::Throttling, "req-5");
        assert_eq!(response.status(), 400, "DynamoDB's throttling is a 400 with its code");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["__type"], "com.amazonaws.dynamodb#ProvisionedThroughputExceededException");
    }

    #[test]
    fn s3_errors_are_xml_with_both_request_ids_and_may_come_inside_a_200() {
        let s3 = &aws_server_errors_s3::SERVICE;
        let body = |r: &Response<Bytes>| String::from_utf8(r.body().to_vec()).unwrap();
        let response = error_response(s3, &Fault::InternalError, "req-6");
        assert_eq!(response.status(), 500);
        assert_eq!(
            (
                response.headers()["x-amz-request-id"].to_str().unwrap(),
                response.headers()["x-amz-id-2"].to_str().unwrap()
            ),
            ("req-6", "fault-kit-host-id-req-6")
        );
        assert!(body(&response).contains("<Error><Code>InternalError</Code>"), "{}", body(&response));
        let response = error_response(s3, &Fault::InternalErrorIn200, "req-7");
        assert_eq!(response.status(), 200);
        assert!(body(&response).contains("<Code>InternalError</Code>"));
        assert_eq!(error_response(s3, &Fault::Throttling, "r").status(), 503, "SlowDown");
        assert_eq!(body(&success(s3, Some("CompleteMultipartUpload"), "r")), "<CompleteMultipartUploadResult/>");
        let put = success(s3, Some("PutObject"), "r");
        assert_eq!(body(&put), "", "headers only");
        assert_eq!(put.headers()["ETag"], "\"7820eab858ad52d6078a4af7d0d7421d\"", "the MD5 of the payload, quoted");
        let get = success(s3, Some("GetObject"), "r");
        assert_eq!((body(&get).as_str(), &get.headers()["ETag"]), ("fault-kit-body", &put.headers()["ETag"]));
        let create = body(&success(s3, Some("CreateMultipartUpload"), "r"));
        assert_eq!(
            create,
            "<InitiateMultipartUploadResult><UploadId>fault-kit-UploadId</UploadId></InitiateMultipartUploadResult>"
        );
    }

    #[test]
    fn sns_errors_are_aws_query_envelopes_with_the_query_codes() {
        let sns = &aws_server_errors_sns::SERVICE;
        let body = |r: Response<Bytes>| String::from_utf8(r.body().to_vec()).unwrap();
        let internal = body(error_response(sns, &Fault::InternalError, "req-8"));
        assert!(internal.contains("<Type>Receiver</Type><Code>InternalError</Code>"), "{internal}");
        let throttled = error_response(sns, &Fault::Throttling, "req-9");
        assert_eq!(throttled.status(), 429);
        assert!(body(throttled).contains("<Type>Sender</Type><Code>Throttled</Code>"));
        let ok = body(success(sns, Some("ListTopics"), "req-10"));
        assert!(ok.starts_with("<ListTopicsResponse><ListTopicsResult></ListTopicsResult>"), "{ok}");
        let published = body(success(sns, Some("Publish"), "req-11"));
        assert!(
            published.starts_with("<PublishResponse><PublishResult><MessageId>fault-kit-MessageId</MessageId>"),
            "{published}"
        );
    }

    #[test]
    fn a_gateways_answer_carries_no_aws_request_id() {
        let bare = Fault::BareStatus { status: 502, body: "<html>bad gateway</html>".into() };
        for fault in [bare, Fault::Malformed] {
            let response = error_response(&SIGNER, &fault, "req-12");
            assert!(response.headers().get("x-amzn-RequestId").is_none(), "{fault:?}");
            assert!(response.headers().get("x-amz-request-id").is_none(), "{fault:?}");
        }
    }

    #[test]
    fn throttling_uses_each_service_shape_and_429() {
        let response = error_response(&SIGNER, &Fault::Throttling, "r");
        assert_eq!(response.status(), 429);
        assert!(response.headers()["x-amzn-ErrorType"].to_str().unwrap().starts_with("TooManyRequestsException"));
        let response = error_response(&CONNECTCASES, &Fault::Throttling, "r");
        assert!(response.headers()["x-amzn-ErrorType"].to_str().unwrap().starts_with("ThrottlingException"));
    }
}
