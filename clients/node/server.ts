// The modeplatform server the client tests talk to: the one at $MODEPLATFORM_ADDR (host:port;
// scripts/test-clients.sh starts one for all the tests), else one started here from the binary in
// $MODEPLATFORM_BIN, else from one built here with `go build`. A server started here serves the
// built-in Mode emulator (no credentials are passed on) on a free loopback port, and its address
// comes from its "modeplatform listening" log line.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface Server {
  /** host:port the server listens on. */
  addr: string;
  /** http://host:port, for a transport's baseUrl. */
  baseUrl: string;
  /** The server's log lines so far (stderr), for failure messages. */
  log: string[];
  stop(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const given = process.env.MODEPLATFORM_ADDR;
  if (given) {
    return { addr: given, baseUrl: `http://${given}`, log: [], stop: async () => {} };
  }
  let bin = process.env.MODEPLATFORM_BIN;
  let buildDir: string | undefined;
  if (!bin) {
    buildDir = mkdtempSync(join(tmpdir(), "modeplatform-node-"));
    bin = join(buildDir, "modeplatform");
    execFileSync("go", ["build", "-o", bin, "./cmd/modeplatform"], { cwd: repoRoot, stdio: "inherit" });
  }
  // Never real Mode: drop any credential or Mode setting from the environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MODE_")));
  const child = spawn(bin, ["--listen", "127.0.0.1:0", "--admin-listen", "off"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const cleanup = () => {
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  };
  try {
    const addr = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no 'modeplatform listening' log line within 30s")), 30_000);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`modeplatform exited with ${code} before listening`)));
      // Keep reading stderr for the server's whole life: a full pipe would block its logging.
      createInterface({ input: child.stderr! }).on("line", (line) => {
        log.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; addr?: string };
          if (entry.msg === "modeplatform listening" && entry.addr) {
            clearTimeout(timer);
            resolve(entry.addr);
          }
        } catch {
          // not a JSON log line
        }
      });
    });
    return {
      addr,
      baseUrl: `http://${addr}`,
      log,
      stop: async () => {
        await stopChild(child, exited);
        cleanup();
      },
    };
  } catch (err) {
    await stopChild(child, exited);
    cleanup();
    throw new Error(`${(err as Error).message}\n${log.join("\n")}`);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
