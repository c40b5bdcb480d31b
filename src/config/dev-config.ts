/**
 * The strongbox.yaml that `strongbox init` and `strongbox serve --dev` write on first run.
 * It is meant to be read by a newcomer, so every section says what it does and what it defaults to.
 * test/config/dev-config.test.ts loads it, so it cannot drift from the validator.
 */
export function devConfigYaml(): string {
  return DEV_CONFIG;
}

const DEV_CONFIG = String.raw`# strongbox.yaml: the Strongbox configuration (development example).
# Unknown keys are errors. Paths resolve from this file's folder.
# Secrets never go in this file: they come from files or the environment (*_FILE first).

# Where records live. Also: sqlite::memory: or
#   postgres://strongbox_app@db.example.com:5432/strongbox?sslmode=verify-full&sslrootcert=ca.pem
# (the PostgreSQL password comes from STRONGBOX_DATABASE_PASSWORD_FILE or STRONGBOX_DATABASE_PASSWORD).
database: sqlite:./data/strongbox.db
# On PostgreSQL in production, migrations run as the schema owner, serving as the app role
# (create both with 'strongbox db provision'; see docs/postgres.md):
# migrate:
#   database: postgres://strongbox_owner@db.example.com:5432/strongbox?sslmode=verify-full&sslrootcert=ca.pem

# Loopback only. serve --dev serves HTTPS with a local CA it makes in data/tls/ (trust
# data/tls/ca.pem). Production needs listen.tls: { cert, key } (or listen.trustedProxies when a
# proxy terminates TLS); rate limits, CORS, HSTS and the admin surface: docs/edge.md. Default port: 8443.
listen:
  host: 127.0.0.1
  port: 8090
  # publicOrigins: [https://vault.example.com]   # origins browsers reach the server at (CSRF check; default: its own address)

# The key-encryption key (KEK) wraps every other key; it never lives in the database.
# file:PATH (a 0600 file), env:NAME, or pkcs11:module=/usr/lib/softhsm/libsofthsm2.so;token=T;key=K
# (PIN from the file named by STRONGBOX_PKCS11_PIN_FILE). serve --dev creates this dev key on
# first run; production serve refuses a dev key.
keys:
  kek: file:./data/kek.key

auth:
  register: true        # open POST /api/auth/register (default: true in dev, false otherwise)
  sessionTtl: 12h       # session lifetime: s, m, h or d; 5m to 30d (default 12h)
  registerPerIp: 10     # registrations per client address per hour; 0 = no bound (default 10)

limits:
  bodyLimit: 1mb        # largest request body: b, kb or mb; at most 16mb (default 1mb)
  perPageDefault: 30    # records per page when a list does not ask (default 30)
  perPageMax: 500       # largest perPage a client may ask for (default 500)
  cacheMemory: 64mb     # all in-process caches together: kb or mb; 4mb to 1024mb (default 64mb)
  readTimeout: 2s       # time budget of one read, then 503 ERR_QUERY_TIMEOUT; 1s to 60s (default 2s)

# The tamper-evident audit trail (docs/audit.md). Signed checkpoints of its HMAC chain go to
# this folder; keep a copy elsewhere: 'strongbox audit verify' compares the trail with them.
audit:
  checkpoints: ./data/audit-checkpoints   # default ./data/audit-checkpoints
  checkpointEvery: 1000                   # events between checkpoints (default 1000)
  checkpointInterval: 60s                 # longest wait between checkpoints (default 60s)

# Encrypted backups (docs/backups.md): make a key pair offline with age-keygen and put only the
# public key here; the identity (AGE-SECRET-KEY-…) never goes in this file.
# backup:
#   recipients: ["age1…"]  # required for backups
#   dir: ./data/backups     # default
#   schedule: 6h            # scheduled backups inside serve (default off)
#   keep: 14                # local archives kept (default 14)

# Each collection becomes a table; every record also has id, created, updated and owner.
# Field types: text, number, boolean, email, url, date, datetime, select, json, relation.
# Rules use the filter language; an absent or null rule means admins only.
collections:
  notes:
    fields:
      title: { type: text, required: true, max: 200, index: true }
      body:  { type: text, max: 10000 }
      done:  { type: boolean }
    rules:                               # each user sees and changes only their own notes
      list:   "owner = @auth.id"
      view:   "owner = @auth.id"
      create: "@auth.id != null"         # any signed-in user
      update: "owner = @auth.id"
      delete: "owner = @auth.id"

  patients:
    fields:
      name:  { type: text, required: true, max: 200 }
      email: { type: email }
      birth: { type: date }
      # sensitive: stored only as AES-256-GCM ciphertext (keys in the keyring, wrapped by the KEK).
      # searchable keeps a blind index so filters may use = and != (nothing else, never sort).
      # mask: last4 shows ***-**-6789 to a reader whose read rule does not allow the plaintext.
      ssn:   { type: text, pattern: '^\d{3}-\d{2}-\d{4}$', sensitive: true, searchable: true, mask: last4, read: "owner = @auth.id" }
      notes: { type: text, max: 10000 }
    rules:
      list:   "owner = @auth.id || @auth.role = 'doctor'"
      view:   "owner = @auth.id || @auth.role = 'doctor'"
      create: "@auth.id != null"
      update: "owner = @auth.id || @auth.role = 'doctor'"
      delete: null                       # admins only
`;
