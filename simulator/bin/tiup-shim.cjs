'use strict';
// tiup shim: POSTs the command line to the simulator and replays its NDJSON answer
// ({"stream":"stdout"|"stderr","data":"..."} … {"exit":N}) on this process's stdio and exit code.
const http = require('node:http');

const base = process.env.TIEM_SIMULATOR_URL;
if (!base) {
  process.stderr.write('tiup (tiem-clone simulator shim): TIEM_SIMULATOR_URL is not set; start the simulator and export the URL it printed\n');
  process.exit(1);
}

let url;
try {
  url = new URL('/tiup/exec', base);
} catch (e) {
  process.stderr.write(`tiup (simulator shim): invalid TIEM_SIMULATOR_URL '${base}'\n`);
  process.exit(1);
}

const body = JSON.stringify({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  env: { TIUP_HOME: process.env.TIUP_HOME || '' },
});

let exitCode;
let buf = '';
const req = http.request(
  url,
  { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' } },
  (res) => {
    if (res.statusCode !== 200) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        process.stderr.write(`tiup (simulator shim): simulator answered HTTP ${res.statusCode}: ${text}\n`);
        process.exitCode = 1;
      });
      return;
    }
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line) handle(line);
      }
    });
    res.on('end', () => {
      if (exitCode === undefined) {
        process.stderr.write('tiup (simulator shim): connection to the simulator was lost\n');
        process.exitCode = 1;
      } else process.exitCode = exitCode;
    });
    res.on('error', () => {
      process.stderr.write('tiup (simulator shim): connection to the simulator was lost\n');
      process.exitCode = 1;
    });
  },
);
req.on('error', (e) => {
  process.stderr.write(`tiup (simulator shim): cannot reach the simulator at ${base}: ${e.message}\n`);
  process.exitCode = 1;
});
req.end(body);

function handle(line) {
  let ev;
  try {
    ev = JSON.parse(line);
  } catch {
    return;
  }
  if (ev.stream === 'stdout') process.stdout.write(ev.data);
  else if (ev.stream === 'stderr') process.stderr.write(ev.data);
  else if (typeof ev.exit === 'number') exitCode = ev.exit;
}

// Closing the request tells the simulator to cancel the operation.
function onSignal(code) {
  req.destroy();
  process.exit(code);
}
process.on('SIGTERM', () => onSignal(143));
process.on('SIGINT', () => onSignal(130));
