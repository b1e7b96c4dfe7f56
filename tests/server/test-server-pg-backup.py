#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-pg-backup.py ENTSEC_SERVER: the PostgreSQL backup procedure of
docs/server.md ("Backups"), run under pg-cluster.sh: pg_dump of the live
database while a server runs on it, pg_restore into a new database, and a
server started on that database with a copy of the data directory's key
files finds the users, the device (its signature is accepted) and the token
(the next code validates, one used before the dump is refused as used)."""

import os
import shutil
import subprocess
import urllib.parse

import servertest
from devicetest import DeviceTestCase
from servertest import Server, hotp, with_database


def pg_tool(name, *args):
    return subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], name), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def database_of(data_dir):
    """The database name servertest gives the server of @data_dir."""
    url = with_database(data_dir)["ENTSEC_SERVER_DATABASE"]
    return urllib.parse.urlsplit(url).path.lstrip("/")


class PgBackupTests(DeviceTestCase):
    def validate(self, api_key, token_id, code):
        return self.server.request("POST", "/v1/auth/validate", token=api_key,
                                   body={"v": 1, "token": token_id, "code": code})

    def test_dump_live_restore_into_new_database(self):
        self.assertIn("ENTSEC_TEST_PG_HOST", os.environ, "run under pg-cluster.sh")
        self.boot()
        device = self.register("ann@example.com")
        status, _, rp, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        self.assertEqual(status, 201, rp)
        status, _, token, _ = self.admin("POST", "/v1/admin/tokens",
                                         {"v": 1, "user": self.user("ann@example.com"),
                                          "type": "hotp"})
        self.assertEqual(status, 201, token)
        status, _, body, _ = self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                        {"v": 1, "code": hotp(token["secret"], 1)})
        self.assertEqual(status, 204, body)
        self.assertEqual(self.validate(rp["api_key"], token["id"],
                                       hotp(token["secret"], 2))[0], 200)

        # the dump of the live database, with the server running
        dump = os.path.join(self.tmp, "entsec.dump")
        result = pg_tool("pg_dump", "--format=custom", "--file=" + dump,
                         database_of(self.data_dir))
        self.assertEqual(result.returncode, 0, result.stderr)
        after = self.user("after@example.com")
        self.assertEqual(self.server.stop(), 0, self.server.log)
        self.server = None

        # a new database, and a data dir with the same key files (a new machine)
        restored = os.path.join(self.tmp, "restored")
        shutil.copytree(self.data_dir, restored, ignore=shutil.ignore_patterns("server.lock"))
        with_database(restored, create=True)
        result = pg_tool("pg_restore", "--no-owner", "--dbname=" + database_of(restored), dump)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.server = Server(restored)
        self.data_dir = restored
        self.boot_discovery()

        status, _, user, _ = self.admin("GET", "/v1/admin/users/" + self.users["ann@example.com"])
        self.assertEqual(status, 200, user)
        self.assertEqual(user["email"], "ann@example.com")
        self.assertEqual(self.admin("GET", "/v1/admin/users/" + after)[0], 404)
        self.assertEqual(self.poll(device, "wait=0&cursor=0")[0], 200)
        self.assertEqual(self.validate(rp["api_key"], token["id"],
                                       hotp(token["secret"], 2))[0], 400)
        self.assertEqual(self.validate(rp["api_key"], token["id"],
                                       hotp(token["secret"], 3))[0], 200)

    def boot_discovery(self):
        status, _, disco, _ = self.server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200, disco)
        self.issuer = disco["issuer"]


if __name__ == "__main__":
    servertest.main()
