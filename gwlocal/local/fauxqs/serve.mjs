// Starts fauxqs's SQS API for `graphworker local` (see gwlocal/local/sqs_servers.py).
//
// Why not fauxqs's own `fauxqs` command: it listens on every interface (0.0.0.0) and on a fixed
// port. This listens on 127.0.0.1 only, on a port the OS chooses (or --port), prints one JSON line
// {"url": ..., "fauxqs": version} once it accepts connections, and stops when its parent goes
// away: on SIGTERM/SIGINT, and when its standard input closes (the parent holds the other end of
// that pipe, so even a parent killed with SIGKILL leaves no orphan server behind).
import { readFileSync } from "node:fs";
import { buildApp } from "fauxqs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const port = Number.parseInt(option("--port", "0"), 10);
const region = option("--region", "us-east-1");
const version = JSON.parse(
  readFileSync(new URL("./node_modules/fauxqs/package.json", import.meta.url), "utf8"),
).version;

const app = buildApp({ logger: false, defaultRegion: region });
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
  } finally {
    process.exit(code);
  }
}
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
process.stdin.on("end", () => stop(0));
process.stdin.on("error", () => stop(0));
process.stdin.resume();

const address = await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(JSON.stringify({ url: address, fauxqs: version }) + "\n");
