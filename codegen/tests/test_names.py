"""The crate key <-> sdkId rule over every service of the pinned botocore."""

import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import names  # noqa: E402


class CrateKeys(unittest.TestCase):
    def setUp(self):
        self.data = names.botocore_data()
        if self.data is None:
            self.skipTest("botocore is not installed (pip install -r codegen/requirements.txt)")

    def test_every_sdk_id_has_one_valid_key_and_back(self):
        ids = names.sdk_ids(self.data)  # raises on two sdkIds for one key
        self.assertGreater(len(ids), 400)
        for key, sdk_id in ids.items():
            self.assertRegex(key, names.KEY_RE, sdk_id)
            self.assertEqual(names.crate_key(sdk_id), key)
        # The inverse is a function: as many keys as distinct sdkIds.
        self.assertEqual(len(set(ids.values())), len(ids))

    def test_the_sdk_names_its_crates_so(self):
        # Crates of aws-sdk-rust whose name is not the sdkId lower-cased without spaces.
        ids = names.sdk_ids(self.data)
        for key, sdk_id in {
            "config": "Config Service",
            "resourcegroupstagging": "Resource Groups Tagging API",
            "apigatewaymanagement": "ApiGatewayManagementApi",
            "lexruntime": "Lex Runtime Service",
            "elasticsearch": "Elasticsearch Service",
            "backupgateway": "Backup Gateway",
            "sfn": "SFN",
            "ec2": "EC2",
        }.items():
            self.assertEqual(ids.get(key), sdk_id)

    def test_the_newest_api_version_only(self):
        models = names.newest_botocore_models(self.data)
        self.assertIn("2015-03-31", str(models["lambda"]))
        self.assertNotIn("2014-09-01", str(models["ec2"]))


if __name__ == "__main__":
    unittest.main()
