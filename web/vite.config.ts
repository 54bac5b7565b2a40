// Vite builds the console into dist/ (committed; embedded in the binary by embed.go and served under
// /ui/). `npm run dev` serves it with hot reload and proxies the API to a running modeplatform
// (MODEPLATFORM_URL, default http://127.0.0.1:8080), so the page stays same-origin as in production.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const webDir = fileURLToPath(new URL(".", import.meta.url));
const genDir = fileURLToPath(new URL("../gen/ts", import.meta.url));
const apiTarget = process.env.MODEPLATFORM_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/ui/",
  resolve: {
    // gen/ts lives outside this package: resolve its imports of @bufbuild/protobuf from web/'s own
    // node_modules (one copy, the one @connectrpc/connect uses), never from the repository root's.
    dedupe: ["@bufbuild/protobuf"],
    alias: { "@gen": genDir },
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    fs: { allow: [webDir, genDir] },
    // The API's paths (Connect and gRPC-Web alike): /<package>.<Service>/<Method>.
    proxy: {
      "^/modeplatform\\.v1\\.": { target: apiTarget },
      "^/grpc\\.health\\.v1\\.": { target: apiTarget },
      // The REST routes and their OpenAPI document (the API page).
      "^/v1/": { target: apiTarget },
      "^/openapi\\.yaml$": { target: apiTarget },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The output is committed and checked against a fresh build: keep it free of anything that
    // varies from one build to the next (no source maps with absolute paths, no build time).
    sourcemap: false,
    reportCompressedSize: false,
    // The API page's Swagger UI is one chunk of about 1.7 MB (520 kB gzipped), loaded only by that
    // page (a dynamic import in apiref.ts); every other chunk stays well under 1 MB.
    chunkSizeWarningLimit: 1800,
  },
});
