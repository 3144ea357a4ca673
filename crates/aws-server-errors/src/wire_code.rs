//! The error code a raw error response carries, read as the SDK's own parsers read it, for a
//! service classified without the SDK's types (a [`generic`](crate::Service::generic) service).
//!
//! Per protocol (the rules of smithy-rs's `parse_error_metadata` for each):
//! - any protocol of a query-compatible service: the `x-amzn-query-error` header
//!   (`Code;Sender`), which the SDK's query-compatible crates read first;
//! - restJson1, awsJson1_0, awsJson1_1: the `x-amzn-ErrorType` header, else the body's top-level
//!   `code` (which wins over `__type`) or `__type`;
//! - rpcv2Cbor: the body map's `__type`;
//! - restXml (wrapped in `<ErrorResponse>` or not, as S3's), awsQuery, ec2Query
//!   (`<Response><Errors><Error>`): the `<Code>` of the first `<Error>` element.
//!
//! JSON or CBOR is the response's media type (`Content-Type`) where it says, else the protocol
//! the table names for the service: a service's crates may move from awsJson to rpcv2Cbor between
//! releases (CodeBuild's did).
//!
//! Every code is sanitized as the SDK does (`namespace#Name:http://...` is `Name`). Bodies are read
//! with the SDK's parsing crates (`aws-smithy-json`'s token iterator, `aws-smithy-xml`'s decoder,
//! `aws-smithy-cbor`'s decoder); a body that does not parse, or carries no code, gives `None` and
//! the status decides. Never panics, whatever the body.

use std::borrow::Cow;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::Headers;
use http::HeaderName;

use crate::adapter::sanitize_error_code;
use crate::catalog::Protocol;

const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");
const QUERY_ERROR: HeaderName = HeaderName::from_static("x-amzn-query-error");
const CONTENT_TYPE: HeaderName = HeaderName::from_static("content-type");

/// How deep in an XML error body the `<Code>` may be: `<Response><Errors><Error><Code>` (ec2Query)
/// is the deepest.
const MAX_XML_DEPTH: usize = 4;

/// The first value of a header, when it is UTF-8 (as `Headers::get` reads it).
pub(crate) fn header<'a>(headers: &'a Headers, name: &HeaderName) -> Option<&'a str> {
    headers.get_all_bytes_by_name(name).next().and_then(|value| std::str::from_utf8(value).ok())
}

/// The error code of `response`, as a client of `protocol` reads it.
pub(crate) fn error_code(protocol: Protocol, query_compatible: bool, response: &HttpResponse) -> Option<Cow<'_, str>> {
    let headers = response.headers();
    if query_compatible {
        if let Some(code) = header(headers, &QUERY_ERROR).and_then(|v| v.split(';').next()).filter(|c| !c.is_empty()) {
            return Some(Cow::Borrowed(code.trim()));
        }
    }
    let body = response.body().bytes().unwrap_or_default();
    // The body's media type decides between CBOR and JSON: a service's crates may move from
    // awsJson to rpcv2Cbor between releases (CodeBuild's did), while the table names one.
    let media = header(headers, &CONTENT_TYPE).unwrap_or_default();
    let family = match protocol {
        _ if media.contains("cbor") => Protocol::RpcV2Cbor,
        Protocol::RpcV2Cbor if media.contains("json") => Protocol::AwsJson1_1,
        // A service the table does not know has a JSON placeholder: an XML body says otherwise.
        Protocol::RestJson1 | Protocol::AwsJson1_0 | Protocol::AwsJson1_1 if media.contains("xml") => Protocol::RestXml,
        protocol => protocol,
    };
    let code = match family {
        Protocol::RestJson1 | Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => match header(headers, &ERROR_TYPE) {
            Some(code) => Some(Cow::Borrowed(code)),
            None => json_code(body),
        },
        Protocol::RpcV2Cbor => cbor_code(body),
        Protocol::RestXml | Protocol::AwsQuery | Protocol::Ec2Query => xml_code(body),
    }?;
    let code = match code {
        Cow::Borrowed(code) => Cow::Borrowed(sanitize_error_code(code)),
        Cow::Owned(code) => Cow::Owned(sanitize_error_code(&code).to_owned()),
    };
    Some(code).filter(|c| !c.is_empty())
}

/// The top-level `code` (first) or `__type` of a JSON object.
fn json_code(body: &[u8]) -> Option<Cow<'_, str>> {
    use aws_smithy_json::deserialize::token::skip_value;
    use aws_smithy_json::deserialize::{json_token_iter, Token};

    let mut tokens = json_token_iter(body).peekable();
    if !matches!(tokens.next(), Some(Ok(Token::StartObject { .. }))) {
        return None;
    }
    let (mut code, mut typ) = (None, None);
    loop {
        match tokens.next()? {
            Ok(Token::ObjectKey { key, .. }) => {
                let slot = match key.as_escaped_str() {
                    "code" => &mut code,
                    "__type" => &mut typ,
                    _ => {
                        skip_value(&mut tokens).ok()?;
                        continue;
                    }
                };
                match tokens.next()? {
                    Ok(Token::ValueString { value, .. }) => *slot = value.to_unescaped().ok(),
                    Ok(Token::ValueNull { .. }) => {}
                    _ => return code.or(typ), // a code that is not a string: what was read so far
                }
            }
            Ok(Token::EndObject { .. }) => break,
            _ => return None,
        }
    }
    code.or(typ)
}

/// The `__type` of a CBOR map (definite or indefinite length).
fn cbor_code(body: &[u8]) -> Option<Cow<'_, str>> {
    use aws_smithy_cbor::data::Type;
    use aws_smithy_cbor::Decoder;

    let mut decoder = Decoder::new(body);
    let length = decoder.map().ok()?;
    let mut read = 0u64;
    while length.is_none_or(|n| read < n) {
        if length.is_none() && decoder.datatype().ok()? == Type::Break {
            break;
        }
        let key = decoder.str().ok()?;
        if key == "__type" {
            return decoder.str().ok();
        }
        decoder.skip().ok()?;
        read += 1;
    }
    None
}

/// The text of the first `<Code>` inside an `<Error>` element, at most [`MAX_XML_DEPTH`] deep.
fn xml_code(body: &[u8]) -> Option<Cow<'_, str>> {
    use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};

    fn find<'inp>(element: &mut ScopedDecoder<'inp, '_>, in_error: bool, depth: usize) -> Option<Cow<'inp, str>> {
        while let Some(mut child) = element.next_tag() {
            if in_error && child.start_el().matches("Code") {
                return try_data(&mut child).ok();
            }
            if depth < MAX_XML_DEPTH {
                let is_error = child.start_el().matches("Error");
                if let Some(code) = find(&mut child, is_error, depth + 1) {
                    return Some(code);
                }
            }
        }
        None
    }

    let text = std::str::from_utf8(body).ok()?;
    let mut document = Document::new(text);
    let mut root = document.root_element().ok()?;
    let is_error = root.start_el().matches("Error");
    find(&mut root, is_error, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::response;
    use aws_smithy_types::body::SdkBody;

    fn with_body(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> HttpResponse {
        let mut response = response(status, headers);
        *response.body_mut() = SdkBody::from(body);
        response
    }

    fn code(
        protocol: Protocol,
        query_compatible: bool,
        headers: &[(&str, &str)],
        body: &'static [u8],
    ) -> Option<String> {
        error_code(protocol, query_compatible, &with_body(500, headers, body)).map(Cow::into_owned)
    }

    #[test]
    fn json_protocols_read_the_header_then_code_then_type() {
        let body = br#"{"__type":"com.amazonaws.athena#InternalServerException","message":"x"}"#;
        assert_eq!(code(Protocol::AwsJson1_1, false, &[], body).as_deref(), Some("InternalServerException"));
        let both = br#"{"message":{"nested":[1,2]},"__type":"T","code":"C"}"#;
        assert_eq!(code(Protocol::RestJson1, false, &[], both).as_deref(), Some("C"), "code wins over __type");
        let header = [("x-amzn-errortype", "ThrottlingException:http://internal.amazon.com/")];
        assert_eq!(code(Protocol::RestJson1, false, &header, body).as_deref(), Some("ThrottlingException"));
        assert_eq!(code(Protocol::AwsJson1_0, false, &[], br#"{"__type":"a#B\u0043"}"#).as_deref(), Some("BC"));
    }

    #[test]
    fn query_compatible_services_read_the_query_error_header_first() {
        let header = [("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender")];
        let body = br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist"}"#;
        assert_eq!(
            code(Protocol::AwsJson1_0, true, &header, body).as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
        assert_eq!(code(Protocol::AwsJson1_0, false, &header, body).as_deref(), Some("QueueDoesNotExist"));
    }

    #[test]
    fn xml_protocols_read_the_first_code_of_an_error() {
        let query = b"<ErrorResponse xmlns=\"x\"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>";
        assert_eq!(code(Protocol::AwsQuery, false, &[], query).as_deref(), Some("InternalFailure"));
        let s3 =
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>m</Message></Error>";
        assert_eq!(code(Protocol::RestXml, false, &[], s3).as_deref(), Some("SlowDown"));
        let ec2 = b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>";
        assert_eq!(code(Protocol::Ec2Query, false, &[], ec2).as_deref(), Some("RequestLimitExceeded"));
        let no_error = b"<Response><Code>NotInAnError</Code></Response>";
        assert_eq!(code(Protocol::Ec2Query, false, &[], no_error), None);
    }

    #[test]
    fn cbor_reads_type_from_definite_and_indefinite_maps() {
        // {"message": "m", "__type": "ns#ThrottlingException"}
        let mut definite = vec![0xa2, 0x67];
        definite.extend_from_slice(b"message");
        definite.extend_from_slice(&[0x61, b'm', 0x66]);
        definite.extend_from_slice(b"__type");
        definite.push(0x76);
        definite.extend_from_slice(b"ns#ThrottlingException");
        let definite: &'static [u8] = Box::leak(definite.into_boxed_slice());
        assert_eq!(code(Protocol::RpcV2Cbor, false, &[], definite).as_deref(), Some("ThrottlingException"));
        let mut indefinite = vec![0xbf, 0x66];
        indefinite.extend_from_slice(b"__type");
        indefinite.extend_from_slice(&[0x61, b'X', 0xff]);
        let indefinite: &'static [u8] = Box::leak(indefinite.into_boxed_slice());
        assert_eq!(code(Protocol::RpcV2Cbor, false, &[], indefinite).as_deref(), Some("X"));
        assert_eq!(code(Protocol::RpcV2Cbor, false, &[], &[0xbf, 0xff]), None);
    }

    #[test]
    fn the_media_type_decides_between_json_and_cbor() {
        let json = [("content-type", "application/x-amz-json-1.1")];
        let body = br#"{"__type":"ThrottlingException"}"#;
        assert_eq!(code(Protocol::RpcV2Cbor, false, &json, body).as_deref(), Some("ThrottlingException"));
        let cbor = [("content-type", "application/cbor")];
        let indefinite: &'static [u8] = &[0xbf, 0x66, b'_', b'_', b't', b'y', b'p', b'e', 0x61, b'X', 0xff];
        assert_eq!(code(Protocol::AwsJson1_1, false, &cbor, indefinite).as_deref(), Some("X"));
        let xml = [("content-type", "text/xml")];
        let body = b"<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>";
        assert_eq!(code(Protocol::RestJson1, false, &xml, body).as_deref(), Some("Throttling"), "an XML body");
    }

    #[test]
    fn no_code_or_a_malformed_body_is_none() {
        for protocol in
            [Protocol::RestJson1, Protocol::AwsJson1_0, Protocol::RpcV2Cbor, Protocol::RestXml, Protocol::AwsQuery]
        {
            for body in [&b""[..], b"<html>502 Bad Gateway</html>", b"{\"code\": 5}", b"\xff\xfe", b"{\"__type\":\"\"}"]
            {
                assert_eq!(code(protocol, false, &[], body), None, "{protocol:?} {body:?}");
            }
        }
    }

    proptest::proptest! {
        /// Any body, any protocol: a code or none, never a panic.
        #[test]
        fn never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256), p in 0usize..7) {
            let protocols = [Protocol::RestJson1, Protocol::RpcV2Cbor, Protocol::AwsJson1_0, Protocol::AwsJson1_1,
                Protocol::RestXml, Protocol::AwsQuery, Protocol::Ec2Query];
            let body: &'static [u8] = Box::leak(body.into_boxed_slice());
            let _ = code(protocols[p], p % 2 == 0, &[], body);
        }
    }
}
