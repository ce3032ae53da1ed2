// Driver for aws-local-stepfunctions, started by the Go localsfn package. It reads one job from
// stdin, runs the state machine, and writes one JSON line per execution event to stdout, then
// a final {"type":"Result",...} line. Task states are answered by the Go handlers over HTTP on
// loopback; a handler's error type name becomes the Step Functions error name, so Retry and
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
