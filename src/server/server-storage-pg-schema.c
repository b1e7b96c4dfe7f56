/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-schema.c: the PostgreSQL schema as an ordered list of
 * migrations. entsec-server --migrate (and --init) applies those a
 * database lacks, each once, recording it in schema_version; a server
 * refuses a database with a newer schema than it knows. The tables
 * mirror the SQLite ones (server-storage-sqlite*.c): Unix seconds as
 * BIGINT, digests as 32-byte BYTEA, states as the enums' numbers.
 *
 * To change the schema, append a migration; never edit one that shipped.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage-pg-private.h"

/* Version 1: the tables of SQLite's version 1 and its key rotation table. */
#define MIGRATION_1_USERS \
  "CREATE TABLE users (" \
  "  id TEXT PRIMARY KEY," \
  "  email TEXT UNIQUE," \
  "  phone TEXT UNIQUE," \
  "  name TEXT," \
  "  disabled BOOLEAN NOT NULL DEFAULT FALSE," \
  "  created BIGINT NOT NULL," \
  "  CHECK (email IS NOT NULL OR phone IS NOT NULL));" \
  "CREATE TABLE admins (" \
  "  id TEXT PRIMARY KEY," \
  "  name TEXT NOT NULL UNIQUE," \
  "  token_sha256 BYTEA NOT NULL UNIQUE CHECK (length(token_sha256) = 32));" \
  "CREATE TABLE audit (" \
  "  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY," \
  "  time BIGINT NOT NULL," \
  "  actor TEXT NOT NULL," \
  "  action TEXT NOT NULL," \
  "  target TEXT);" \
  "CREATE TABLE settings (" \
  "  key TEXT PRIMARY KEY," \
  "  value BYTEA NOT NULL);" \
  "CREATE TABLE enrollments (" \
  "  id TEXT PRIMARY KEY," \
  "  channel TEXT NOT NULL," \
  "  address TEXT NOT NULL," \
  "  user_id TEXT," \
  "  code_sha256 BYTEA NOT NULL," \
  "  nonce_sha256 BYTEA NOT NULL," \
  "  created BIGINT NOT NULL," \
  "  expires BIGINT NOT NULL," \
  "  attempts INTEGER NOT NULL DEFAULT 0," \
  "  state INTEGER NOT NULL DEFAULT 0," \
  "  token_sha256 BYTEA," \
  "  token_expires BIGINT," \
  "  challenge_sha256 BYTEA);" \
  "CREATE INDEX enrollments_address ON enrollments (channel, address, created);" \
  "CREATE INDEX enrollments_token ON enrollments (token_sha256);" \
  "CREATE INDEX enrollments_user ON enrollments (user_id);"

#define MIGRATION_1_RP \
  "CREATE TABLE rps (" \
  "  id TEXT PRIMARY KEY," \
  "  name TEXT NOT NULL UNIQUE," \
  "  key_sha256 BYTEA NOT NULL UNIQUE CHECK (length(key_sha256) = 32)," \
  "  created BIGINT NOT NULL," \
  "  revoked BIGINT NOT NULL DEFAULT 0);" \
  "CREATE TABLE tokens (" \
  "  id TEXT PRIMARY KEY," \
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  type TEXT NOT NULL CHECK (type IN ('totp', 'hotp'))," \
  "  algorithm TEXT NOT NULL," \
  "  digits INTEGER NOT NULL," \
  "  period INTEGER NOT NULL," \
  "  issuer TEXT," \
  "  label TEXT," \
  "  sealed_seed BYTEA NOT NULL," \
  "  state INTEGER NOT NULL DEFAULT 0," \
  "  created BIGINT NOT NULL," \
  "  failures BIGINT NOT NULL DEFAULT 0," \
  "  locked_until BIGINT NOT NULL DEFAULT 0," \
  "  last_step BIGINT NOT NULL DEFAULT -1);" \
  "CREATE INDEX tokens_user ON tokens (user_id, created);" \
  "CREATE TABLE push_transactions (" \
  "  id TEXT PRIMARY KEY," \
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  rp_id TEXT NOT NULL," \
  "  context TEXT NOT NULL," \
  "  mode TEXT NOT NULL," \
  "  number INTEGER NOT NULL," \
  "  created BIGINT NOT NULL," \
  "  expires BIGINT NOT NULL," \
  "  state INTEGER NOT NULL DEFAULT 0," \
  "  wrong_numbers INTEGER NOT NULL DEFAULT 0," \
  "  flagged BOOLEAN NOT NULL DEFAULT FALSE," \
  "  device_id TEXT," \
  "  deny_reason TEXT);" \
  "CREATE INDEX push_user ON push_transactions (user_id, state, expires);" \
  "CREATE TABLE push_mutes (" \
  "  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE," \
  "  mute_until BIGINT NOT NULL);"

/* seq of device_events is the long-poll cursor: one sequence for every
 * device, rising in commit order (server-storage-pg-devices.c). */
#define MIGRATION_1_DEVICES \
  "CREATE TABLE devices (" \
  "  id TEXT PRIMARY KEY," \
  "  user_id TEXT NOT NULL," \
  "  key_jwk TEXT NOT NULL," \
  "  key_jkt TEXT NOT NULL UNIQUE," \
  "  key_epoch BIGINT NOT NULL," \
  "  state INTEGER NOT NULL," \
  "  claims TEXT NOT NULL," \
  "  created BIGINT NOT NULL," \
  "  last_seen BIGINT NOT NULL," \
  "  mismatches BIGINT NOT NULL DEFAULT 0," \
  "  policy_version BIGINT NOT NULL DEFAULT 0," \
  "  policy_sha256 BYTEA," \
  "  revision BIGINT NOT NULL DEFAULT 0);" \
  "CREATE INDEX devices_user ON devices (user_id, id);" \
  "CREATE TABLE request_nonces (" \
  "  keyid TEXT NOT NULL," \
  "  nonce TEXT NOT NULL," \
  "  keep_until BIGINT NOT NULL," \
  "  PRIMARY KEY (keyid, nonce));" \
  "CREATE INDEX request_nonces_keep ON request_nonces (keep_until);" \
  "CREATE TABLE policies (" \
  "  scope TEXT PRIMARY KEY," \
  "  settings TEXT NOT NULL," \
  "  updated BIGINT NOT NULL);" \
  "CREATE TABLE op_challenges (" \
  "  nonce_sha256 BYTEA PRIMARY KEY," \
  "  device_id TEXT NOT NULL," \
  "  op TEXT NOT NULL," \
  "  expires BIGINT NOT NULL);" \
  "CREATE INDEX op_challenges_expires ON op_challenges (expires);" \
  "CREATE TABLE device_events (" \
  "  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY," \
  "  device_id TEXT NOT NULL," \
  "  type TEXT NOT NULL," \
  "  body TEXT NOT NULL," \
  "  created BIGINT NOT NULL);" \
  "CREATE INDEX device_events_device ON device_events (device_id, seq);" \
  "CREATE INDEX device_events_created ON device_events (created);" \
  "CREATE TABLE device_commands (" \
  "  id TEXT PRIMARY KEY," \
  "  device_id TEXT NOT NULL," \
  "  type TEXT NOT NULL," \
  "  actor TEXT NOT NULL," \
  "  created BIGINT NOT NULL," \
  "  acked BIGINT NOT NULL DEFAULT 0," \
  "  result TEXT);" \
  "CREATE INDEX device_commands_device ON device_commands (device_id, created);" \
  "CREATE TABLE push_deliveries (" \
  "  push_id TEXT NOT NULL," \
  "  device_id TEXT NOT NULL," \
  "  nonce TEXT NOT NULL," \
  "  push_sha256 BYTEA NOT NULL CHECK (length(push_sha256) = 32)," \
  "  expires BIGINT NOT NULL," \
  "  PRIMARY KEY (push_id, device_id));" \
  "CREATE INDEX push_deliveries_expires ON push_deliveries (expires);" \
  "CREATE TABLE token_deliveries (" \
  "  token_id TEXT PRIMARY KEY," \
  "  device_id TEXT NOT NULL," \
  "  delivered BIGINT NOT NULL);" \
  "CREATE TABLE authority_keys (" \
  "  seq BIGINT PRIMARY KEY CHECK (seq >= 1)," \
  "  jkt TEXT NOT NULL UNIQUE," \
  "  jwk TEXT NOT NULL," \
  "  link TEXT CHECK ((seq = 1) = (link IS NULL))," \
  "  created BIGINT NOT NULL);"

/* Rate limit buckets every instance shares (server-storage-pg-ratelimit.c). */
#define MIGRATION_2_RATE_LIMITS \
  "CREATE TABLE rate_limits (" \
  "  key TEXT PRIMARY KEY," \
  "  tokens DOUBLE PRECISION NOT NULL," \
  "  lim DOUBLE PRECISION NOT NULL," \
  "  rate DOUBLE PRECISION NOT NULL CHECK (rate > 0)," \
  "  updated BIGINT NOT NULL," \
  "  full_at BIGINT NOT NULL," \
  "  allowed BOOLEAN NOT NULL);" \
  "CREATE INDEX rate_limits_full ON rate_limits (full_at);"

/* The authority keys' private halves, sealed under token-seal.key, so that
 * every instance signs with the current key (server-authority.c). */
#define MIGRATION_3_SEALED_AUTHORITY_KEYS \
  "ALTER TABLE authority_keys ADD COLUMN sealed_key BYTEA;"

const char *const entsec_pg_migrations[] = {
  /* 1 */ MIGRATION_1_USERS MIGRATION_1_RP MIGRATION_1_DEVICES,
  /* 2 */ MIGRATION_2_RATE_LIMITS,
  /* 3 */ MIGRATION_3_SEALED_AUTHORITY_KEYS,
  NULL,
};

guint
entsec_pg_schema_version (void)
{
  return G_N_ELEMENTS (entsec_pg_migrations) - 1;
}
