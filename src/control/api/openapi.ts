// The OpenAPI 3.1 document served at /openapi.json (kept next to the routes of ./app.ts).
import { JOB_STATES } from '../store/types.ts';
import { MAX_COMMAND_WORDS, MAX_GPUS_PER_NODE, MAX_NODES, MAX_RANKS_PER_NODE } from '../job-spec.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  400: { description: 'Invalid input; `error.issues` names each field', content: { 'application/json': { schema: ref('Error') } } },
  401: { description: 'Missing or unknown bearer token', content: { 'application/json': { schema: ref('Error') } } },
  404: { description: 'No such job (or not this tenant\'s)', content: { 'application/json': { schema: ref('Error') } } },
};
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^job-[0-9]+$' } };

const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
/** Serve deployments (./deployments.ts; fields of src/serve/deployment.ts). */
const DEPLOYMENT_PATHS = {
  '/v1/deployments': {
    post: { summary: 'Create or update a serve deployment (name, model, gpus_per_replica, nodes_per_replica, min_replicas, max_replicas, replica_capacity_tps, slots_per_replica, replica_command, workdir, env, port_base, priority, startup_timeout_seconds)', responses: { 201: { description: 'Created' }, 200: { description: 'Updated' }, 422: { description: 'Larger than the fleet' }, ...errors } },
    get: { summary: 'List deployments', responses: { 200: { description: 'Deployments' }, ...errors } },
  },
  '/v1/deployments/{name}': {
    get: { summary: 'A deployment: releases and shares, replicas (endpoint, ready, draining), load, unhealthy replicas with their log tail', parameters: [nameParam], responses: { 200: { description: 'The deployment' }, ...errors } },
    delete: { summary: 'Delete a deployment and stop its replicas', parameters: [nameParam], responses: { 200: { description: 'Deleted' }, ...errors } },
  },
  '/v1/deployments/{name}/load': { post: { summary: 'A gateway\'s load report: gateway, output_tokens_per_second, requests_in_flight, releases {id: {requests, errors, p99_ms}}', parameters: [nameParam], responses: { 200: { description: 'Recorded' }, ...errors } } },
  '/v1/deployments/{name}/releases': {
    post: { summary: 'Promote a checkpoint that passed its gate (checkpoint), optionally as a canary (canary_percent 1-99, hold_seconds, max_error_rate, max_p99_ms, min_requests, canary_eval ["SUITE>=SCORE"] or {SUITE: SCORE}, eval_suites: the suites if not the checkpoint gate\'s)', parameters: [nameParam], responses: { 201: { description: 'Promoted or canary started' }, 422: { description: 'A canary is in progress' }, ...errors } },
    get: { summary: 'Rollout steps with their figures, oldest first', parameters: [nameParam], responses: { 200: { description: 'Steps' }, ...errors } },
  },
  '/v1/gates': { post: { summary: 'Record a release-gate result (model, checkpoint, source, time, passed, decision, scores, evalJobId, suites), as `serve gate` does; a passing one becomes the model\'s served checkpoint', responses: { 201: { description: 'Recorded; the served model after' }, ...errors } } },
  '/v1/gates/{model}': { get: { summary: 'A model\'s served checkpoint and its gate results, oldest first (yours; an admin sees all)', parameters: [{ name: 'model', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'Served model and gate results' }, ...errors } } },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Gigafactory control plane', version: '0.1.0', description: 'Jobs on this cluster. Every /v1 route needs `Authorization: Bearer TOKEN`; a tenant token sees its own jobs, an admin token all.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      JobSpec: {
        type: 'object', additionalProperties: false, required: ['name', 'command'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
          kind: { enum: ['train', 'serve', 'batch', 'eval'], default: 'train' },
          priority: { type: 'integer', minimum: 0, maximum: 1000, default: 100 },
          preemptible: { type: 'boolean', default: true },
          nodes: { type: 'integer', minimum: 1, maximum: MAX_NODES, default: 1 },
          ranks_per_node: { type: 'integer', minimum: 1, maximum: MAX_RANKS_PER_NODE, default: 1 },
          gpus_per_node: { type: 'integer', minimum: 0, maximum: MAX_GPUS_PER_NODE, default: 0 },
          gpu_type: { type: 'string', enum: ['a100', 'h100', 'h200', 'b200'], description: 'only nodes with this GPU type' },
          command: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: MAX_COMMAND_WORDS },
          workdir: { type: 'string' },
          env: { type: 'object', additionalProperties: { type: 'string' } },
          checkpoint_dir: { type: 'string', description: 'Default: <data-dir>/jobs/<id>/checkpoints; passed to ranks as GF_CHECKPOINT_DIR' },
          max_restarts: { type: 'integer', minimum: 0, maximum: 100, default: 3 },
          heartbeat_timeout_seconds: { type: 'number', minimum: 1, description: 'A rank that does not touch $GF_HEARTBEAT_FILE for this long fails the attempt' },
          estimated_runtime_seconds: { type: 'number', exclusiveMinimum: 0 },
          model: { type: 'string', description: 'A planned job (docs/readme/planned-jobs.md): a catalog model or model YAML file, instead of nodes x gpus_per_node; the plane plans it on its fleet' },
          tokens: { type: ['number', 'string'], description: 'Planned job: tokens to train, e.g. 2T' },
          gpus: { type: 'integer', minimum: 1, description: 'Planned job: GPUs to use (else the smallest size meeting deadline_days, or the whole fleet)' },
          stack: { type: 'string' }, precision: { enum: ['bf16', 'fp8'] }, seq: { type: 'integer', minimum: 1 },
          global_batch: { type: ['number', 'string'], description: 'Planned job: global batch in tokens, e.g. 16M' },
          deadline_days: { type: 'number', exclusiveMinimum: 0 },
        },
      },
      Job: {
        type: 'object',
        properties: {
          id: { type: 'string' }, tenant: { type: 'string' }, name: { type: 'string' },
          state: { enum: JOB_STATES },
          attempt: { type: 'integer' }, restarts: { type: 'integer' }, exit_code: { type: ['integer', 'null'] },
          reason: { type: ['string', 'null'], description: 'queued: why it waits, "CODE: words" (Slurm REASON); else why it ended or last restarted' },
          reason_code: { type: ['string', 'null'], enum: ['Resources', 'Priority', 'QuotaExceeded', 'NodeDown', 'WaitingForRentedNodes', 'WaitingForSpares', null] },
          estimated_start: { type: ['string', 'null'], format: 'date-time', description: 'head of the queue: the backfill reservation' }, submit_time: { type: 'string', format: 'date-time' }, spec: ref('JobSpec'),
          plan: { type: ['object', 'null'], description: 'A planned job\'s plan: layout, gpus, nodes, stepSeconds, tokensPerSecondPerGpu, mfu, days, costs, checkpointIntervalSeconds (src/control/job-plan.ts)' },
        },
      },
      Node: {
        type: 'object',
        properties: {
          name: { type: 'string' }, pool: { type: 'string' }, rented: { type: 'boolean' }, gpu_type: { type: 'string' }, gpus: { type: 'integer' }, gpusInUse: { type: 'integer' },
          state: { type: 'string', enum: ['up', 'draining', 'drained', 'down', 'repair', 'unrented'] }, reason: { type: ['string', 'null'] }, spare: { type: 'boolean', description: 'held aside as a hot spare (up --spares)' }, since: { type: ['string', 'null'], format: 'date-time' },
          rental: { oneOf: [ref('Rental'), { type: 'null' }] },
        },
      },
      Rental: {
        type: 'object',
        description: 'A rented node while the plane rents it (up --rent-pool; null otherwise). Kept in the store, so a restarted plane re-adopts the instance instead of launching another.',
        properties: {
          provider: { type: 'string', description: 'the pool\'s provider, e.g. oracle' },
          instance: { type: ['string', 'null'], description: 'the provider\'s instance id (an OCI OCID); null while LaunchInstance is in flight' },
          state: { type: 'string', enum: ['launching', 'provisioning', 'running'] },
          launched_at: { type: 'string', format: 'date-time' },
          price_per_hour_usd: { type: 'number', description: 'the pool\'s price per GPU-hour x the node\'s GPUs' },
        },
      },
      Error: {
        type: 'object',
        properties: { error: { type: 'object', properties: { status: { type: 'integer' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, value: {}, expected: { type: 'string' } } } } } } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/healthz': { get: { security: [], summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics (a token; a tenant sees only series labelled with its tenant, an admin all; `up --metrics-public` serves all without one): nodes and GPUs by state, jobs by state and tenant, queue wait, attempts by outcome and cause, ETTR, rented pools, scheduling-cycle seconds (docs/readme/dashboard.md)', responses: { 200: { description: 'text/plain; version=0.0.4' } } } },
    '/v1/jobs': {
      post: {
        summary: 'Submit a job', parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' }, description: 'A retry with the same key returns the first job (200) instead of a new one (201)' },
          { name: 'dry_run', in: 'query', schema: { enum: ['true'] }, description: 'Plan and validate only: returns {spec, plan} (200) and stores nothing' }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('JobSpec') } } },
        responses: { 201: json({ type: 'object', properties: { job: ref('Job'), created: { type: 'boolean' } } }, 'Queued'), 200: { description: 'Seen before (same Idempotency-Key)' }, 413: { description: 'Body too large' }, 422: { description: 'Can never fit this cluster' }, ...errors },
      },
      get: {
        summary: 'List jobs (newest first)',
        parameters: [{ name: 'state', in: 'query', schema: { enum: JOB_STATES } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } }],
        responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: ref('Job') } } }, 'Jobs'), ...errors },
      },
    },
    '/v1/jobs/{id}': { get: { summary: 'A job with its attempts (each with `outcome` and `counts_as_restart`: only the job\'s own failures count against max_restarts; null while it runs), events and `actual` (measured step time, tokens/s/GPU, MFU, slowdown vs plan, from GF_PROGRESS_FILE)', parameters: [idParam], responses: { 200: { description: 'The job' }, ...errors } } },
    '/v1/jobs/{id}/cancel': { post: { summary: 'Cancel: a queued job at once, a running one by stopping every rank', parameters: [idParam], responses: { 200: { description: 'The job' }, ...errors } } },
    '/v1/jobs/{id}/logs': {
      get: {
        summary: 'A chunk of one rank\'s output; poll with offset=next_offset to follow', parameters: [idParam,
          { name: 'rank', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } }, { name: 'attempt', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } }, { name: 'limit_bytes', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1048576 } }],
        responses: { 200: json({ type: 'object', properties: { text: { type: 'string' }, next_offset: { type: 'integer' }, state: { type: 'string' } } }, 'Log chunk'), ...errors },
      },
    },
    '/v1/tokens': { post: { summary: 'Create a tenant token (admin only); the token is shown once', requestBody: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, required: ['tenant'], properties: { tenant: { type: 'string' }, admin: { type: 'boolean' } } } } } }, responses: { 201: { description: 'The token' }, 403: { description: 'Not an admin' }, ...errors } } },
    '/v1/nodes': { get: { summary: 'Nodes of this cluster: state (up, draining, drained, down, repair, unrented), reason, gpus, gpusInUse, pool, rental; ?state= filters', responses: { 200: json({ type: 'object', properties: { nodes: { type: 'array', items: ref('Node') } } }, 'Nodes'), ...errors } } },
    '/v1/nodes/{name}/state': { post: { summary: 'Drain, resume or down a node (admin): {"state": "drain|resume|down", "reason": "..."}', responses: { 200: { description: 'The new state' }, ...errors } } },
    '/v1/pools': { get: { summary: 'Capacity pools: owned halls and the rented pool ({pools:[{name, kind, nodes, provisionedNodes, pricePerGpuHourUsd, rentedGpuHours, costUsd}]})', responses: { 200: { description: 'Pools' }, ...errors } } },
    ...DEPLOYMENT_PATHS,
  },
} as const;
