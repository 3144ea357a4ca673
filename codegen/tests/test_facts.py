"""The rules of service_facts.py and sdk_source.py: on the SDK crates the workspace locks (the
source the adapters are generated from), and on small hand-built cases for the rules no locked
crate exercises (IAM's quota code, a model's awsQuery code on a JSON service)."""

import pathlib
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import sdk_source  # noqa: E402
import service_facts  # noqa: E402

ROOT = HERE.parent.parent


def locked_sdk_crates() -> dict[str, pathlib.Path]:
    return {name.removeprefix("aws-sdk-"): path for name, (path, _) in sdk_source.workspace_packages(ROOT).items()
            if name.startswith("aws-sdk-")}


def crate(protocol="AwsJson1_1", ops=None, query_compatible=False, signing_name="svc"):
    """A crate as sdk_source.read_crate returns it: `ops` maps an operation to its (variant, code)s."""
    ops = ops or {}
    return {"service": "Svc", "signing_name": signing_name, "protocol": protocol, "query_compatible": query_compatible,
            "operations": [{"name": name, "module": name.lower(), "errors": [{"variant": v, "code": c} for v, c in errs],
                            "sdk_fills_token": False, "error_in_200": False, "required_fields": [], "callable": True}
                           for name, errs in ops.items()]}


def error(fault="client", status=400, throttling=False, code=None):
    return {"fault": fault, "http_status": status, "throttling": throttling, "retryable": throttling,
            **({"code": code} if code else {})}


class Derived(unittest.TestCase):
    def test_a_quota_code_is_not_throttling_by_its_shape_name(self):
        # IAM: the shape LimitExceededException is sent (and matched) as `LimitExceeded`, a 409.
        iam = crate("AwsQuery", {"CreateUser": [("LimitExceededException", "LimitExceeded"),
                                                ("ServiceFailureException", "ServiceFailure")]})
        facts = {"errors": {"LimitExceededException": error(status=409, code="LimitExceeded"),
                            "ServiceFailureException": error("server", 500, code="ServiceFailure")}}
        entry = service_facts.derive_entry("iam", iam, facts)
        self.assertEqual(entry["internal"], "ServiceFailure")
        self.assertNotIn("LimitExceeded", entry["throttling"])
        self.assertEqual(entry["throttling"], ["Throttling"])  # AWS's documented awsQuery code
        self.assertEqual(service_facts.class_of("LimitExceeded", entry, facts, iam), "ClientError")
        self.assertEqual(service_facts.shape_of("ServiceFailure", facts, iam), "ServiceFailureException")

    def test_a_json_service_matches_shape_names_not_awsquery_codes(self):
        # KMS's model carries awsQueryError codes (DependencyTimeout) that its awsJson crate never sees.
        kms = crate("AwsJson1_1", {"Decrypt": [("DependencyTimeoutException", "DependencyTimeoutException"),
                                               ("KmsInternalException", "KMSInternalException")]})
        facts = {"errors": {"DependencyTimeoutException": error("server", 503, code="DependencyTimeout"),
                            "KMSInternalException": error("server", 500, code="KMSInternal")}}
        self.assertEqual(service_facts.disagreements(kms, facts, "kms"), [])
        entry = service_facts.derive_entry("kms", kms, facts)
        self.assertEqual(entry["internal"], "KMSInternalException")
        self.assertEqual(service_facts.class_of("DependencyTimeoutException", entry, facts, kms), "ServerError")

    def test_a_code_the_crate_and_the_model_disagree_on_is_reported_with_both(self):
        cw = crate("AwsQuery", {"GetDashboard": [("InternalServiceFault", "InternalServiceFault")]})
        facts = {"models": ["smithy x.json"], "errors": {"InternalServiceFault": error("server", 500, code="InternalServiceError")}}
        [problem] = service_facts.disagreements(cw, facts, "cloudwatch")
        self.assertIn("'InternalServiceFault'", problem)
        self.assertIn("'InternalServiceError'", problem)

    def test_a_server_fault_not_named_internal_is_not_the_internal_error(self):
        asg = crate("AwsQuery", {"Op": [("ResourceContentionFault", "ResourceContention")]})
        facts = {"errors": {"ResourceContentionFault": error("server", 500, code="ResourceContention")}}
        entry = service_facts.derive_entry("autoscaling", asg, facts)
        self.assertEqual(entry["internal"], "InternalFailure")
        self.assertTrue(entry["internal_source"].startswith("documented: https://"))
        self.assertEqual(service_facts.class_of("ResourceContention", entry, facts, asg), "ServerError")

    def test_a_limit_code_of_the_sdk_list_does_not_lead_the_throttling_codes(self):
        kms = crate("AwsJson1_1", {"CreateKey": [("LimitExceededException", "LimitExceededException")]})
        facts = {"errors": {"LimitExceededException": error()}}
        entry = service_facts.derive_entry("kms", kms, facts)
        self.assertEqual(entry["throttling"], ["ThrottlingException", "LimitExceededException"])

    def test_a_modeled_server_fault_is_never_throttling_by_name_or_list(self):
        # Lambda's EC2ThrottledException is a 502 server fault, and in the SDK's list.
        lam = crate("RestJson1", {"Invoke": [("Ec2ThrottledException", "EC2ThrottledException"),
                                             ("TooManyRequestsException", "TooManyRequestsException")]})
        facts = {"errors": {"EC2ThrottledException": error("server", 502),
                            "TooManyRequestsException": error(status=429)}}
        entry = service_facts.derive_entry("lambda", lam, facts)
        self.assertEqual(entry["throttling"], ["TooManyRequestsException"])
        self.assertEqual(service_facts.class_of("EC2ThrottledException", entry, facts, lam), "ServerError")
        self.assertEqual(service_facts.class_of("EC2ThrottledException", {**entry, "throttling": ["EC2ThrottledException"]},
                                                facts, lam), "ServerError", "not even when an entry lists it")

    def test_a_code_that_says_it_throttles_is_throttling(self):
        sqs = crate("AwsJson1_0", {"SendMessage": [("KmsThrottled", "KMS.ThrottlingException")]}, query_compatible=True)
        facts = {"errors": {"KmsThrottled": error(code="KMS.ThrottlingException")}}
        entry = service_facts.derive_entry("sqs", sqs, facts)
        self.assertEqual(service_facts.class_of("KMS.ThrottlingException", entry, facts, sqs), "Throttling")
        self.assertEqual(entry["internal"], "InternalFailure")


class Botocore(unittest.TestCase):
    def test_an_awsquery_server_fault_is_known_by_its_status_alone(self):
        import distill  # noqa: PLC0415

        model = {"operations": {}, "shapes": {
            # IAM's: no `fault: true`, a 500 without `senderFault`.
            "ServiceFailureException": {"exception": True, "error": {"code": "ServiceFailure", "httpStatusCode": 500}},
            "LimitExceededException": {"exception": True, "error": {"code": "LimitExceeded", "httpStatusCode": 409,
                                                                    "senderFault": True}},
            "KMSInternalException": {"exception": True, "fault": True},
        }}
        _, errors = distill.botocore_facts(model)
        self.assertEqual(errors["ServiceFailureException"]["fault"], "server")
        self.assertEqual(errors["ServiceFailureException"]["code"], "ServiceFailure")
        self.assertEqual(errors["LimitExceededException"]["fault"], "client")
        self.assertEqual(errors["KMSInternalException"]["fault"], "server")


class LockedCrates(unittest.TestCase):
    """The crates of the workspace, read from their source."""

    @classmethod
    def setUpClass(cls):
        cls.crates = {key: sdk_source.read_crate(path) for key, path in locked_sdk_crates().items()}

    def test_protocols_and_query_compatibility(self):
        expected = {"signer": "RestJson1", "backupgateway": "RpcV2Cbor", "dynamodb": "AwsJson1_0", "sns": "AwsQuery",
                    "s3": "RestXml", "sqs": "AwsJson1_0", "kms": "AwsJson1_1", "ec2": "Ec2Query", "sts": "AwsQuery"}
        for key, protocol in expected.items():
            self.assertEqual(self.crates[key]["protocol"], protocol, key)
        self.assertTrue(self.crates["sqs"]["query_compatible"])
        self.assertFalse(self.crates["kms"]["query_compatible"])

    def test_wire_codes_are_what_the_deserializers_match(self):
        codes = {key: sdk_source.codes(c) for key, c in self.crates.items()}
        self.assertEqual(codes["sns"]["InternalError"], ["InternalErrorException"])
        self.assertEqual(codes["kms"]["KMSInternalException"], ["KmsInternalException"])
        self.assertEqual(codes["sqs"]["AWS.SimpleQueueService.NonExistentQueue"], ["QueueDoesNotExist"])
        self.assertEqual(codes["ec2"], {})  # EC2 models no error: every one arrives Unhandled

    def test_required_labels_are_read(self):
        s3 = {op["name"]: op for op in self.crates["s3"]["operations"]}
        self.assertEqual(s3["GetObject"]["required_fields"], ["bucket", "key"])
        self.assertTrue(s3["GetObject"]["callable"])
        self.assertFalse(s3["UploadPart"]["callable"])  # part_number is an integer


if __name__ == "__main__":
    unittest.main()
