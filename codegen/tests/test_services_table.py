"""The table of every service (services_table.py): the protocol the SDK speaks, the verdict rules
on a small hand-built botocore model, and the table against the SDK crates the workspace locks."""

import pathlib
import sys
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import names  # noqa: E402
import sdk_source  # noqa: E402
import services_table  # noqa: E402

ROOT = HERE.parent.parent

MODEL = {
    "metadata": {"protocol": "rest-json", "protocols": ["rest-json"], "serviceId": "Thing Maker",
                 "signingName": "things", "endpointPrefix": "things"},
    "operations": {
        "GetThing": {"name": "GetThing", "http": {"method": "GET", "requestUri": "/things/{Id}"},
                     "errors": [{"shape": "InternalServerException"}]},
        "CreateThing": {"name": "CreateThing", "http": {"method": "POST", "requestUri": "/things"},
                        "input": {"shape": "CreateThingInput"},
                        "errors": [{"shape": "InternalServerException"}, {"shape": "ThrottlingException"}]},
        "StartThing": {"name": "StartThing", "http": {"method": "POST", "requestUri": "/things/{Id}/start"}},
        "ListThings": {"name": "ListThings", "http": {"method": "POST", "requestUri": "/things/list"}},
        "RenameThing": {"name": "RenameThing", "http": {"method": "POST", "requestUri": "/rename"}},
    },
    "shapes": {
        "CreateThingInput": {"type": "structure", "members": {"ClientToken": {"shape": "S", "idempotencyToken": True}}},
        "S": {"type": "string"},
        "InternalServerException": {"type": "structure", "exception": True, "fault": True,
                                    "error": {"httpStatusCode": 500}, "members": {}},
        "ThrottlingException": {"type": "structure", "exception": True, "retryable": {"throttling": True},
                                "error": {"httpStatusCode": 429, "senderFault": True}, "members": {}},
    },
}


class ProtocolTest(unittest.TestCase):
    def test_the_first_of_botocores_protocols_is_the_sdks(self):
        self.assertEqual(services_table.protocol_of({"protocols": ["smithy-rpc-v2-cbor", "json"]}), "RpcV2Cbor")
        self.assertEqual(services_table.protocol_of({"protocol": "json", "jsonVersion": "1.1"}), "AwsJson1_1")
        self.assertEqual(services_table.protocol_of({"protocol": "json", "jsonVersion": "1.0"}), "AwsJson1_0")
        self.assertEqual(services_table.protocol_of({"protocols": ["query"]}), "AwsQuery")
        self.assertEqual(services_table.protocol_of({"protocols": ["ec2"]}), "Ec2Query")


class ModelServiceTest(unittest.TestCase):
    def setUp(self):
        traits = {"Thing Maker": {"readonly": ["ListThings"], "idempotent": ["StartThing"]}}
        self.entry = services_table.model_service(MODEL, traits)

    def test_names_and_codes(self):
        e = self.entry
        self.assertEqual((e["key"], e["sdk_id"], e["protocol"], e["signing_name"]),
                         ("thingmaker", "Thing Maker", "RestJson1", "things"))
        self.assertEqual(e["internal"], "InternalServerException", "the modeled server fault")
        self.assertEqual(e["throttling"][0], "ThrottlingException", "the modeled throttling error")
        self.assertEqual(e["throttling_status"], 429)

    def test_each_verdict_by_the_adapters_rules(self):
        verdicts = {name: safety for name, _, _, safety in self.entry["operations"]}
        self.assertEqual(verdicts, {
            "CreateThing": "IdempotencyToken",  # a token member the SDK fills
            "GetThing": "SafeHttpMethod",  # GET on a REST protocol
            "ListThings": "Readonly",  # a Smithy trait botocore lacks
            "RenameThing": "NotRetrySafe",  # a POST with no source
            "StartThing": "Idempotent",
        })
        methods = {name: (method, uri) for name, method, uri, _ in self.entry["operations"]}
        self.assertEqual(methods["GetThing"], ("GET", "/things/{Id}"))


class LockedCratesTest(unittest.TestCase):
    """For every SDK crate the workspace locks, the table (built from botocore alone) names the
    service as the crate's `Metadata` does and speaks its protocol."""

    def test_the_table_agrees_with_the_locked_crates(self):
        data = names.botocore_data()
        if data is None:
            self.fail("botocore is not installed (pip install -r codegen/requirements.txt)")
        traits = {}
        by_key = {}
        for path in names.newest_botocore_models(data).values():
            entry = services_table.model_service(names.load_json(path), traits)
            by_key[entry["key"]] = entry
        crates = {name.removeprefix("aws-sdk-"): path for name, (path, _) in sdk_source.workspace_packages(ROOT).items()
                  if name.startswith("aws-sdk-")}
        self.assertGreaterEqual(len(crates), 15)
        for key, path in sorted(crates.items()):
            crate = sdk_source.read_crate(path)
            entry = by_key[key]
            with self.subTest(key):
                self.assertEqual(entry["sdk_id"], crate["service"], "the Metadata name")
                self.assertEqual(entry["protocol"], crate["protocol"])
                self.assertEqual(entry["query_compatible"], crate["query_compatible"])


if __name__ == "__main__":
    unittest.main()
