"""An emulator of the Ory Network project API, for tests and local runs.

It serves the ProjectApi (operations tagged `project` in Ory's OpenAPI
document) over real HTTP on 127.0.0.1, keeps its state in a JSON file, and can
inject faults on demand.

Seeds. A seed file (JSON, or YAML for any other suffix) is a project document
as getProject returns it; it is loaded only when its project is not in the
state yet (nor purged from it). Missing keys the spec requires are filled in:

- `id`: a UUID derived from the seed's file name (stable across starts)
- `name`: "Emulated project"; `environment`: "prod";
  `home_region`: "eu-central"; `organizations`: []; `state`: "running";
  `services`: {}
- `slug`: "emulated-" and ten hex digits derived from the id
- `revision_id`: a new UUID

A seed may carry one key that is not part of the document, `x-emulator`, with
`members`: the project's members (`email`, `name`, `role` of owner, developer
or viewer; `id` and `email_verified` are filled in). Every project has an
owner: when no member listed is one, `owner@example.com` is added.

New projects (createProject, `Emulator.ensure_project`) start from
`rewrites.new_project`, or with rewrites off from a document whose five
services have empty configs; `home_region` defaults to "eu-central".

Authentication. Bearer workspace API keys given at start; a missing or unknown
key is 401, any project API key (`ory_pat_...`) is 403.

Sharing. Several emulators, in one process or several, may share a state
file: they behave as one service (see `store`).

Setup errors. A state file, seed, fault plan, request log or port the
emulator cannot start with raises `EmulatorSetupError`, whose message is one
line naming the file (and line, where the parser gives one).
"""

from reconciler.emulator.emulator import Emulator
from reconciler.emulator.errors import ApiError, EmulatorSetupError
from reconciler.emulator.faults import FaultPlan

__all__ = ["ApiError", "Emulator", "EmulatorSetupError", "FaultPlan"]
