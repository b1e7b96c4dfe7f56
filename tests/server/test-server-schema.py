#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-schema.py ENTSEC_SERVER: the schema checks at start
(docs/server.md, "Upgrades"), on the real binary: a server refuses to run
on a database of a newer schema, on both backends, and on PostgreSQL on a
database without the schema, saying what to do; --migrate refuses a newer
schema too. The PostgreSQL cases need pg-cluster.sh and are skipped
without it; the older PostgreSQL schema is test-server-pg-unit's (it needs
the migrations' text)."""

import os
import sqlite3
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import servertest
from servertest import START_TIMEOUT

ON_PG = "ENTSEC_TEST_PG_HOST" in os.environ


def psql(url, sql):
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], "psql"), "-X", "-q",
                    "-v", "ON_ERROR_STOP=1", "-d", name, "-c", sql],
                   check=True, capture_output=True, timeout=60)


class SchemaTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="entsec-schema-test-")
        self.data_dir = os.path.join(self.tmp, "data")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def env(self, pg):
        """The environment of a server of self.data_dir on SQLite or PostgreSQL."""
        env = dict(os.environ)
        env.pop("ENTSEC_SERVER_DATABASE", None)
        if pg:
            return servertest.with_database(self.data_dir, env, create=True)
        env.pop("ENTSEC_TEST_PG_HOST", None)
        return env

    def run_server(self, env, *args):
        """Runs entsec-server on self.data_dir; a server that starts is stopped
        and fails the test."""
        try:
            result = subprocess.run([servertest.SERVER, "--data-dir", self.data_dir,
                                     "--listen", "127.0.0.1:0", *args], env=env,
                                    capture_output=True, text=True, timeout=START_TIMEOUT,
                                    check=False)
        except subprocess.TimeoutExpired as expired:
            self.fail("the server ran: %s" % expired.stdout)
        self.assertNotIn("listening on", result.stdout)
        return result

    def init(self, env):
        result = subprocess.run([servertest.SERVER, "--data-dir", self.data_dir, "--init"],
                                env=env, capture_output=True, text=True, timeout=60,
                                check=False)
        self.assertEqual(result.returncode, 0, result.stderr)

    def assertRefused(self, result, *fragments):
        self.assertEqual(result.returncode, 1, result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)

    def test_sqlite_newer_schema_refused(self):
        env = self.env(pg=False)
        self.init(env)
        db = sqlite3.connect(os.path.join(self.data_dir, "entsec.db"))
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("PRAGMA user_version = %d" % (version + 1))
        db.close()
        self.assertRefused(self.run_server(env), "has schema version %d, newer than the %d"
                           % (version + 1, version), "run that version")

    def test_sqlite_other_version_refused(self):
        env = self.env(pg=False)
        self.init(env)
        db = sqlite3.connect(os.path.join(self.data_dir, "entsec.db"))
        db.execute("PRAGMA user_version = 0")
        db.close()
        self.assertRefused(self.run_server(env), "has schema version 0",
                           "is it an entsec-server database?")

    @unittest.skipUnless(ON_PG, "no PostgreSQL cluster (run under pg-cluster.sh)")
    def test_pg_newer_schema_refused(self):
        env = self.env(pg=True)
        self.init(env)
        url = env["ENTSEC_SERVER_DATABASE"]
        psql(url, "INSERT INTO schema_version SELECT max(version) + 1, 0 FROM schema_version")
        result = self.run_server(env)
        self.assertRefused(result, "newer than the", "run that version")
        self.assertRefused(self.run_server(env, "--migrate"), "newer than the")

    @unittest.skipUnless(ON_PG, "no PostgreSQL cluster (run under pg-cluster.sh)")
    def test_pg_without_schema_needs_migrate(self):
        env = self.env(pg=True)
        self.init(env)
        url = env["ENTSEC_SERVER_DATABASE"]
        psql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        self.assertRefused(self.run_server(env), "has no entsec schema",
                           "run entsec-server --migrate")


if __name__ == "__main__":
    servertest.main()
