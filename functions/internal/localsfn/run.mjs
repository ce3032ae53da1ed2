// Driver for aws-local-stepfunctions, started by the Go localsfn package. It reads one job from
// stdin, runs the state machine, and writes one JSON line per execution event to stdout, then
// a final {"type":"Result",...} line. Task states (placeholder Resources and lambda:invoke
// states alike) are answered by the Go handlers over HTTP on loopback; a handler's error type name becomes the Step Functions error name, so Retry and
// Catch match exactly as they do on AWS.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3 uses.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const job = JSON.parse(readFileSync(0, 'utf8'));
const lib = await import(pathToFileURL(join(job.nodeModules, 'aws-local-stepfunctions', 'build', 'main.node.esm.js')).href);

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const handlers = {};
for (const [stateName, url] of Object.entries(job.handlers ?? {})) {
  handlers[stateName] = async (input) => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(input), headers: { 'content-type': 'application/json' } });
    const body = await res.json();
    if (body.errorType) {
      const err = new Error(body.errorMessage ?? '');
      err.name = body.errorType;
      throw err;
    }
    return body.result;
  };
}

// Step Functions task credentials. aws-local-stepfunctions 3.0.0 accepts a Task's Credentials
// field and the arn:aws:states:::lambda:invoke Resource (its asl-validator 3.16 schema allows
// both) but ignores Credentials: a local handler receives only the effective Parameters. So
// every lambda:invoke state's Credentials is moved, unchanged, into its Parameters under
// CREDENTIALS_KEY, where the library evaluates "RoleArn.$" with the same JSONPath rules and
// against the same state input as Step Functions does; the Go side takes it out again, records
// the role and hands the function only the Payload.
const CREDENTIALS_KEY = '__ssoflowCredentials';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
function moveCredentials(machine) {
  for (const [name, state] of Object.entries(machine?.States ?? {})) {
    if (state.Type === 'Task' && state.Resource === LAMBDA_INVOKE && state.Credentials) {
      if (!state.Parameters || typeof state.Parameters !== 'object') {
        throw new Error(`state ${name}: a lambda:invoke Task needs Parameters (FunctionName, Payload)`);
      }
      state.Parameters = { ...state.Parameters, [CREDENTIALS_KEY]: state.Credentials };
      delete state.Credentials;
    }
    moveCredentials(state.ItemProcessor);
    moveCredentials(state.Iterator);
    for (const branch of state.Branches ?? []) moveCredentials(branch);
  }
}
moveCredentials(job.definition);

const machine = new lib.StateMachine(job.definition, { validationOptions: { checkArn: false } });
const execution = machine.run(job.input, {
  overrides: {
    taskResourceLocalHandlers: handlers,
    retryIntervalOverrides: job.retryIntervalOverrides ?? {},
    waitTimeOverrides: job.waitTimeOverrides ?? {},
  },
  context: job.context,
});

const logs = (async () => {
  for await (const ev of execution.eventLogs) out(ev);
})();

try {
  const output = await execution.result;
  await logs;
  out({ type: 'Result', status: 'SUCCEEDED', output });
} catch (err) {
  await logs.catch(() => {});
  // ExecutionError wraps the error the execution failed with (a Fail state's Error/Cause, or an
  // uncaught task error): report that one, as Step Functions does.
  const e = err?.name === 'ExecutionError' && err.cause ? err.cause : err;
  out({ type: 'Result', status: 'FAILED', error: e?.name ?? 'Error', cause: e?.message ?? String(e) });
}
