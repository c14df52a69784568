"""The service's treatment of a project config, as Ory Network applies it.

- Durations come back as Go prints them (`1h` reads `1h0m0s`); a value that
  is no duration is refused with 400 `Unable to validate config: ...`.
- Inline `base64://` documents are stored and read back as storage URLs
  (see `storage`); custom identity schemas take the hash of their content
  as id, `default_schema_id` follows, and schemas are never deleted.
- Write-only secrets read back as `REDACTED`; sending `REDACTED` keeps the
  stored secret.
- Empty values a user writes are dropped; a removed key comes back as its
  default; defaults are filled in everywhere.
- Keys outside the key table are dropped with a warning, including the
  operational identity keys the service itself shows on read.
- Server-derived values (base URLs, cookie domains and names, the first
  allowed return URL, oauth2 `urls.self.*`, `webfinger.oidc_discovery.*`)
  appear on read, derived from the project's slug.
- `replace` of a missing path changes nothing; `environment`,
  `organizations` and `workspace_id` in a patch change nothing; a change of
  `home_region` or of a read-only field (`id`, `revision_id`, `slug`,
  `state`) is refused with 400.
- Keto's `namespaces.experimental_strict_mode` is locked: a write is
  accepted and the stored value kept.
- Enabling SAML (`selfservice.methods.saml.enabled`) is plan-gated: 403
  `feature_not_available` with `details.feature` `saml`.
- A config's `version` key is dropped: every config is read as the newest.
"""

from reconciler.emulator.rewrites.project import new_project
from reconciler.emulator.rewrites.refusal import Refusal
from reconciler.emulator.rewrites.view import read_view
from reconciler.emulator.rewrites.writing import write

__all__ = ["Refusal", "new_project", "read_view", "write"]
