#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""clienttest.py: what the entsec-cli tests against the real entsec-server share."""

import json
import os
import select
import subprocess

import servertest


class VaultCli:
    """For a ServerTestCase with self.vault and self.pass_file: the CLI on that vault
    (passphrase from the file, no keyring) and the admin API of self.server."""

    def cli(self, *args):
        return subprocess.run([os.environ["ENTSEC_CLI"], *args, "--vault", self.vault,
                               "--no-keyring", "--passphrase-file", self.pass_file],
                              capture_output=True, text=True, timeout=120, check=False)

    def cli_json(self, *args):
        result = self.cli(*args, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def admin(self, method, path, body=None, want=None):
        status, _, answer, _ = self.server.request(method, path, token=self.token, body=body)
        if want is not None:
            self.assertEqual(status, want, answer)
        return answer


def outbox_codes(data_dir):
    """The codes the server's outbox sender wrote, oldest first."""
    path = os.path.join(data_dir, "outbox.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["code"] for line in f]


def enroll(cli, vault, pass_file, data_dir, *args, code_of=None):
    """Runs `cli enroll`; once it says the code is on its way, types code_of(code).

    Returns (exit status, stdout, stderr)."""
    proc = subprocess.Popen([cli, "enroll", "--vault", vault, "--no-keyring",
                             "--passphrase-file", pass_file, *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        err = ""
        while "on its way" not in err:
            ready, _, _ = select.select([proc.stderr], [], [], servertest.START_TIMEOUT)
            line = proc.stderr.readline() if ready else ""
            if not line:
                break
            err += line
        if "on its way" in err:
            # The outbox line is written before the server answers the start.
            code = outbox_codes(data_dir)[-1]
            proc.stdin.write((code_of or (lambda c: c))(code) + "\n")
            proc.stdin.flush()
        out, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err + rest
