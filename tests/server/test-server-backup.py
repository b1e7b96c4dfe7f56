#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-backup.py ENTSEC_SERVER: --backup while the real
entsec-server runs and takes writes, --restore refused while it runs and
for files that are not its database, then a restore that takes the data
back to the backup and a server that starts on it."""

import os
import stat
import subprocess
import threading

import servertest
from servertest import ServerTestCase


class BackupTests(ServerTestCase):
    def tool(self, *args):
        return subprocess.run([servertest.SERVER, "--data-dir", self.data_dir, *args],
                              capture_output=True, text=True, timeout=60, check=False)

    def create_user(self, email):
        status, _, body, _ = self.server.request("POST", "/v1/admin/users",
                                                 body={"email": email}, token=self.token)
        self.assertEqual(status, 201, body)
        return body["id"]

    def user_status(self, user_id):
        return self.server.request("GET", "/v1/admin/users/" + user_id, token=self.token)[0]

    def test_backup_while_running_then_restore(self):
        self.start()
        before = self.create_user("before@example.com")
        backup = os.path.join(self.tmp, "backups", "entsec.db")
        os.mkdir(os.path.dirname(backup))
        # writes go on while the backup is taken: the copy is one snapshot
        stop = threading.Event()
        written = []

        def writer():
            n = 0
            while not stop.is_set():
                written.append(self.create_user("busy%d@example.com" % n))
                n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            result = self.tool("--backup", backup)
        finally:
            stop.set()
            thread.join(60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Backed up the database", result.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)
        self.assertEqual(os.listdir(os.path.dirname(backup)), ["entsec.db"])
        after = self.create_user("after@example.com")
        # no restore under a running server
        refused = self.tool("--restore", backup)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("A server is running on", refused.stderr)
        self.assertEqual(self.user_status(after), 200)
        self.assertEqual(self.server.stop(), 0, self.server.log)
        result = self.tool("--restore", backup)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.start()
        self.assertEqual(self.user_status(before), 200)
        self.assertEqual(self.user_status(after), 404)
        # each user the writer made is there or not, never half: the list answers
        status, _, body, _ = self.server.request("GET", "/v1/admin/users?limit=1000",
                                                 token=self.token)
        self.assertEqual(status, 200, body)
        leftovers = [n for n in os.listdir(self.data_dir) if ".tmp-" in n]
        self.assertEqual(leftovers, [])

    def test_restore_refuses_what_is_not_an_entsec_database(self):
        junk = os.path.join(self.tmp, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database at all" * 100)
        other = os.path.join(self.tmp, "other.db")
        subprocess.run(["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                        "c.execute('create table t (x)'); c.commit()", other], check=True)
        with open(os.path.join(self.data_dir, "entsec.db"), "rb") as f:
            original = f.read()
        for path, message in ((junk, "is not an entsec server database"),
                              (other, "is not an entsec server database"),
                              (os.path.join(self.tmp, "missing.db"), "is not a file")):
            result = self.tool("--restore", path)
            self.assertEqual(result.returncode, 1, path)
            self.assertIn(message, result.stderr)
        # the database is untouched and no temporary file is left
        with open(os.path.join(self.data_dir, "entsec.db"), "rb") as f:
            self.assertEqual(f.read(), original)
        self.assertEqual([n for n in os.listdir(self.data_dir) if ".tmp-" in n], [])
        self.start()
        self.assertEqual(self.server.request("GET", "/v1/health")[0], 200)

    def test_only_one_action(self):
        result = self.tool("--backup", os.path.join(self.tmp, "b.db"), "--restore",
                           os.path.join(self.tmp, "b.db"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("only one of --init, --migrate, --backup and --restore", result.stderr)
        result = self.tool("--migrate", "--backup", os.path.join(self.tmp, "b.db"))
        self.assertEqual(result.returncode, 2)

    def test_postgresql_refused(self):
        # Refused before any connection: the URL names no reachable server.
        for action in (("--backup", os.path.join(self.tmp, "b.db")),
                       ("--restore", os.path.join(self.data_dir, "entsec.db"))):
            result = self.tool("--database", "postgresql://entsec@unreachable.invalid/entsec",
                               *action)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("use pg_dump and pg_restore", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b.db")))


if __name__ == "__main__":
    servertest.main()
