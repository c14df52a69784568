// Calls every ProjectApi method of the official TypeScript SDK against the
// emulator and prints one JSON line per call: the operation, the status the
// spec documents for it, the status answered, whether the SDK's result held
// the expected fields, and the answer body.
//
// Environment: EMULATOR_BASE_URL (http://127.0.0.1:PORT), EMULATOR_API_KEY
// (a workspace key it accepts), TEAM_PROJECT_ID (a project with an owner and
// a viewer).
//
// The SDK sends console operations to Ory's host when the configuration has
// no basePath: its request function takes `configuration.basePath` before
// the operation's server. Every request goes through an axios instance that
// refuses any host but 127.0.0.1, so a missing basePath fails the run instead
// of leaving the machine.
"use strict";

const axios = require("axios");
const { Configuration, ProjectApi } = require("@ory/client");

const LOOPBACK = "127.0.0.1";

function guardedAxios() {
  const http = axios.create({ proxy: false, maxRedirects: 0 });
  http.interceptors.request.use((config) => {
    const url = new URL(config.url, config.baseURL);
    if (url.hostname !== LOOPBACK) {
      throw new Error(`refused a request to ${url.hostname}`);
    }
    return config;
  });
  return http;
}

function connect(basePath, accessToken) {
  return new ProjectApi(
    new Configuration({ basePath, accessToken }),
    undefined,
    guardedAxios(),
  );
}

// Runs one SDK call expected to answer `expected`; `check` looks at the
// answer's data. Prints the line and returns the data (undefined on error).
async function call(operation, expected, run, check = () => true) {
  let status;
  let body;
  let error;
  try {
    const response = await run();
    status = response.status;
    body = response.data === "" ? null : response.data;
  } catch (failure) {
    if (failure.response === undefined) {
      error = String(failure.message || failure);
    } else {
      status = failure.response.status;
      body = failure.response.data === "" ? null : failure.response.data;
    }
  }
  let ok = error === undefined && status === expected;
  if (ok) {
    try {
      ok = Boolean(check(body));
    } catch (failure) {
      ok = false;
      error = `check failed: ${failure.message}`;
    }
  }
  const line = { operation, expected, status: status ?? null, ok, body };
  if (error !== undefined) {
    line.error = error;
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return status === expected ? body : undefined;
}

async function projects(api, stranger) {
  await call("listProjects", 200, () => api.listProjects(), (d) => Array.isArray(d));
  const created = await call(
    "createProject",
    201,
    () =>
      api.createProject({
        createProjectBody: { name: "Fresh", environment: "dev" },
      }),
    (d) => d.name === "Fresh" && d.environment === "dev",
  );
  const projectId = created.id;
  const live = await call(
    "getProject",
    200,
    () => api.getProject({ projectId }),
    (d) => d.id === projectId && typeof d.revision_id === "string",
  );
  const rename = (value) => [{ op: "replace", path: "/name", value }];
  await call(
    "patchProjectWithRevision",
    200,
    () =>
      api.patchProjectWithRevision({
        projectId,
        revisionId: live.revision_id,
        jsonPatch: rename("Renamed"),
      }),
    (d) => d.project.name === "Renamed" && Array.isArray(d.warnings),
  );
  await call("patchProjectWithRevision", 409, () =>
    api.patchProjectWithRevision({
      projectId,
      revisionId: live.revision_id,
      jsonPatch: rename("Stale"),
    }),
  );
  await call(
    "patchProject",
    200,
    () => api.patchProject({ projectId, jsonPatch: rename("Patched") }),
    (d) => d.project.name === "Patched",
  );
  await call(
    "setProject",
    200,
    () =>
      api.setProject({
        projectId,
        setProject: {
          name: "Set",
          cors_admin: live.cors_admin,
          cors_public: live.cors_public,
          organizations: [],
          services: {},
        },
      }),
    (d) => d.project.name === "Set",
  );
  await call("getProject", 404, () =>
    api.getProject({ projectId: "00000000-0000-4000-8000-000000000000" }),
  );
  await call("getProject", 401, () => stranger.getProject({ projectId }));
  return projectId;
}

async function organizations(api, projectId) {
  const organization = await call(
    "createOrganization",
    201,
    () =>
      api.createOrganization({
        projectId,
        organizationBody: { label: "Acme", domains: ["acme.example"] },
      }),
    (d) => d.label === "Acme" && d.domains[0] === "acme.example",
  );
  const organizationId = organization.id;
  await call(
    "getOrganization",
    200,
    () => api.getOrganization({ projectId, organizationId }),
    (d) => d.organization.id === organizationId,
  );
  await call(
    "listOrganizations",
    200,
    () => api.listOrganizations({ projectId, pageSize: 10 }),
    (d) => d.organizations.length === 1 && d.has_next_page === false,
  );
  await call(
    "updateOrganization",
    200,
    () =>
      api.updateOrganization({
        projectId,
        organizationId,
        organizationBody: { label: "Acme Inc", domains: [] },
      }),
    (d) => d.label === "Acme Inc",
  );

  const ids = { projectId, organizationId };
  const link = await call(
    "createOrganizationOnboardingPortalLink",
    201,
    () =>
      api.createOrganizationOnboardingPortalLink({
        ...ids,
        createOrganizationOnboardingPortalLinkBody: {
          enable_sso: true,
          enable_scim: false,
        },
      }),
    (d) => d.organization_id === organizationId && d.enable_sso === true,
  );
  await call(
    "getOrganizationOnboardingPortalLinks",
    200,
    () => api.getOrganizationOnboardingPortalLinks(ids),
    (d) => d.links.length === 1 && d.links[0].id === link.id,
  );
  await call(
    "updateOrganizationOnboardingPortalLink",
    200,
    () =>
      api.updateOrganizationOnboardingPortalLink({
        ...ids,
        onboardingPortalLinkId: link.id,
        updateOrganizationOnboardingPortalLinkBody: {
          enable_sso: false,
          enable_scim: true,
        },
      }),
    (d) => d.enable_scim === true && d.enable_sso === false,
  );
  await call("deleteOrganizationOnboardingPortalLink", 204, () =>
    api.deleteOrganizationOnboardingPortalLink({
      ...ids,
      onboardingPortalLinkId: link.id,
    }),
  );
  await call("deleteOrganization", 204, () => api.deleteOrganization(ids));
  await call("getOrganization", 404, () => api.getOrganization(ids));
}

async function apiKeysAndMembers(api, projectId, teamId) {
  const key = await call(
    "createProjectApiKey",
    201,
    () =>
      api.createProjectApiKey({
        project: projectId,
        createProjectApiKeyBody: { name: "ci" },
      }),
    (d) => d.name === "ci" && d.value.startsWith("ory_pat_"),
  );
  await call(
    "listProjectApiKeys",
    200,
    () => api.listProjectApiKeys({ project: projectId }),
    (d) => d.length === 1 && d[0].id === key.id && d[0].value === undefined,
  );
  await call("deleteProjectApiKey", 204, () =>
    api.deleteProjectApiKey({ project: projectId, tokenId: key.id }),
  );

  const members = await call(
    "getProjectMembers",
    200,
    () => api.getProjectMembers({ project: teamId }),
    (d) => d.length === 2,
  );
  const viewer = members.find((member) => member.role === "viewer");
  await call("removeProjectMember", 204, () =>
    api.removeProjectMember({ project: teamId, member: viewer.id }),
  );
}

async function main() {
  const basePath = process.env.EMULATOR_BASE_URL;
  const key = process.env.EMULATOR_API_KEY;
  const teamId = process.env.TEAM_PROJECT_ID;
  if (!basePath || !key || !teamId) {
    throw new Error(
      "set EMULATOR_BASE_URL, EMULATOR_API_KEY and TEAM_PROJECT_ID",
    );
  }
  const api = connect(basePath, key);
  const projectId = await projects(api, connect(basePath, "ory_wak_not_a_key"));
  await organizations(api, projectId);
  await apiKeysAndMembers(api, projectId, teamId);
  await call("purgeProject", 204, () => api.purgeProject({ projectId }));
  await call("purgeProject", 404, () => api.purgeProject({ projectId }));
}

main().catch((failure) => {
  process.stderr.write(`${failure.stack || failure}\n`);
  process.exit(1);
});
