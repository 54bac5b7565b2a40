// Builds the npm package @modeplatform/client into dist/ (npm pack runs it as `prepack`):
//   1. copies the repository's generated TypeScript (gen/ts: whatever the contract generates now)
//      into src/gen/, so the generated code is kept once, in gen/;
//   2. writes src/gen/v1.ts, re-exporting every file of modeplatform/v1, and src/gen/version.ts
//      from clients/VERSION (which package.json's version must equal);
//   3. compiles src/ with the repository's TypeScript (tsconfig.build.json) to ES modules and
//      .d.ts declarations in dist/.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const gen = join(here, "src", "gen");

const version = readFileSync(join(repo, "clients", "VERSION"), "utf8").trim();
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
if (pkg.version !== version) {
  throw new Error(`clients/node/package.json has version ${pkg.version}, clients/VERSION ${version}: make them equal`);
}

rmSync(gen, { recursive: true, force: true });
rmSync(join(here, "dist"), { recursive: true, force: true });
cpSync(join(repo, "gen", "ts"), gen, { recursive: true });

const v1 = readdirSync(join(gen, "modeplatform", "v1"))
  .filter((f) => f.endsWith(".ts"))
  .sort()
  .map((f) => `export * from "./modeplatform/v1/${f.replace(/\.ts$/, ".js")}";\n`);
writeFileSync(join(gen, "v1.ts"), "// Written by build.mjs: every file of modeplatform.v1.\n" + v1.join(""));
writeFileSync(
  join(gen, "version.ts"),
  `// Written by build.mjs from clients/VERSION.\n/** The package's version; its major number is the contract's (modeplatform.v1 is 1.x.y). */\nexport const VERSION = ${JSON.stringify(version)};\n`,
);

const tsc = [join(here, "node_modules", ".bin", "tsc"), join(repo, "node_modules", ".bin", "tsc")].find(existsSync);
if (!tsc) {
  throw new Error("no TypeScript compiler: run `npm ci` in the repository's root first");
}
execFileSync(tsc, ["-p", join(here, "tsconfig.build.json")], { stdio: "inherit" });
