#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod generated;

aws_server_errors::define_adapter!(aws_sdk_sqs);
