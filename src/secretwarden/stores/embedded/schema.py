"""The embedded store's SQLite schema: its tables, the key-summary columns and the triggers that
keep them, and the queries that read the summaries (the schema note is in store.py's docstring).

Only what creates, migrates, lists or verifies a store needs these; opening a store and reading
a key (`warden run`'s path) needs only the column lists in store.py.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (
  env TEXT NOT NULL, namespace TEXT NOT NULL,
  dek_nonce BLOB NOT NULL, wrapped_dek BLOB NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (env, namespace));
CREATE TABLE IF NOT EXISTS keys (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  created_at TEXT NOT NULL, compromised_at TEXT, compromise_reason TEXT, mac TEXT,
  cur_version INTEGER, cur_created_at TEXT, cur_stamp TEXT, cur_fingerprint TEXT,
  version_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (env, namespace, instance, key));
CREATE TABLE IF NOT EXISTS versions (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  version INTEGER NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  source TEXT NOT NULL, fingerprint TEXT, stamp TEXT,
  deleted_at TEXT, destroyed INTEGER NOT NULL DEFAULT 0,
  nonce BLOB, ciphertext BLOB, mac TEXT,
  PRIMARY KEY (env, namespace, instance, key, version));
CREATE TABLE IF NOT EXISTS denied_fingerprints (
  fingerprint TEXT PRIMARY KEY, reason TEXT NOT NULL, added_at TEXT NOT NULL, mac TEXT);
"""

# The key summary (schema note in the module docstring): columns added to `keys` by
# `migrations.add_key_summary` on stores made before it, and the triggers that keep them in step.
SUMMARY_COLS = (
    ("cur_version", "INTEGER"),
    ("cur_created_at", "TEXT"),
    ("cur_stamp", "TEXT"),
    ("cur_fingerprint", "TEXT"),
    ("version_count", "INTEGER NOT NULL DEFAULT 0"),
)
# Recomputes one key's summary from its version rows; `{row}` is NEW or OLD inside a trigger.
_RESUMMARIZE = """
UPDATE keys SET
  version_count = (SELECT COUNT(*) FROM versions c WHERE c.env = keys.env AND c.namespace = keys.namespace
                   AND c.instance = keys.instance AND c.key = keys.key),
  (cur_version, cur_created_at, cur_stamp, cur_fingerprint) = (
    SELECT v.version, v.created_at, v.stamp, v.fingerprint FROM versions v
    WHERE v.env = keys.env AND v.namespace = keys.namespace AND v.instance = keys.instance AND v.key = keys.key
      AND v.deleted_at IS NULL AND v.destroyed = 0
    ORDER BY v.version DESC LIMIT 1)
WHERE env = {row}.env AND namespace = {row}.namespace AND instance = {row}.instance AND key = {row}.key;
"""
# A new version (the common write) updates the summary in place: no version row is read again.
# (Every right-hand side sees the row before the update, so each CASE asks the same question.)
_NEWER = "NEW.deleted_at IS NULL AND NEW.destroyed = 0 AND COALESCE(cur_version, 0) < NEW.version"
_SUMMARIZE_INSERT = f"""
UPDATE keys SET
  version_count = version_count + 1,
  cur_version = CASE WHEN {_NEWER} THEN NEW.version ELSE cur_version END,
  cur_created_at = CASE WHEN {_NEWER} THEN NEW.created_at ELSE cur_created_at END,
  cur_stamp = CASE WHEN {_NEWER} THEN NEW.stamp ELSE cur_stamp END,
  cur_fingerprint = CASE WHEN {_NEWER} THEN NEW.fingerprint ELSE cur_fingerprint END
WHERE env = NEW.env AND namespace = NEW.namespace AND instance = NEW.instance AND key = NEW.key;
"""
# Updates and deletions recompute the key's summary; every column it depends on starts the
# update trigger (the MAC column is left out: re-MACing a row changes nothing here).
SUMMARY_TRIGGERS = {
    "key_summary_on_insert": "AFTER INSERT ON versions BEGIN" + _SUMMARIZE_INSERT + "END",
    "key_summary_on_update": "AFTER UPDATE OF env, namespace, instance, key, version, created_at, stamp, "
    "fingerprint, deleted_at, destroyed ON versions BEGIN"
    + _RESUMMARIZE.format(row="OLD")
    + _RESUMMARIZE.format(row="NEW")
    + "END",
    "key_summary_on_delete": "AFTER DELETE ON versions BEGIN" + _RESUMMARIZE.format(row="OLD") + "END",
}
SUMMARY_DDL = (
    *(f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in SUMMARY_TRIGGERS.items()),
    # isolation groups repeated fingerprints: an index makes that a walk of the index, not a sort
    "CREATE INDEX IF NOT EXISTS versions_by_fingerprint ON versions (fingerprint) WHERE fingerprint IS NOT NULL",
)
# Each summary query comes in two forms, every environment and one (`?`): one environment's keys
# are a range of the primary key (env first), which `(? IS NULL OR env = ?)` kept SQLite from
# using: it walked every environment's keys to answer for one.
_KEY_SUMMARY = """
SELECT env, namespace, instance, key, compromised_at, version_count, cur_version, cur_created_at, cur_stamp,
  cur_fingerprint
FROM keys {where} ORDER BY env, namespace, instance, key
"""
KEY_SUMMARY_SQL = _KEY_SUMMARY.format(where="")
KEY_SUMMARY_ENV_SQL = _KEY_SUMMARY.format(where="WHERE env = ?")
# The same rows computed from the versions, for a store whose summary is not filled yet (a
# metadata reader does not write; the next opener with the key adds it) and to check summaries.
# Correlated lookups on the versions primary key: cheaper than grouping all versions first.
_SUMMARY = """
SELECT k.env, k.namespace, k.instance, k.key, k.compromised_at,
  (SELECT COUNT(*) FROM versions c
   WHERE c.env = k.env AND c.namespace = k.namespace AND c.instance = k.instance AND c.key = k.key),
  v.version, v.created_at, v.stamp, v.fingerprint
FROM keys k
LEFT JOIN versions v ON v.env = k.env AND v.namespace = k.namespace AND v.instance = k.instance AND v.key = k.key
  AND v.version = (SELECT MAX(version) FROM versions l
                   WHERE l.env = k.env AND l.namespace = k.namespace AND l.instance = k.instance AND l.key = k.key
                     AND l.deleted_at IS NULL AND l.destroyed = 0)
{where}
ORDER BY k.env, k.namespace, k.instance, k.key
"""
SUMMARY_SQL = _SUMMARY.format(where="")
SUMMARY_ENV_SQL = _SUMMARY.format(where="WHERE k.env = ?")
