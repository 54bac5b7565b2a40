/**
 * `createNodeClient`: a modeplatform client for Node in one call, over @connectrpc/connect-node
 * (an optional peer dependency: `npm install @connectrpc/connect-node@2.1.2` beside this
 * package).
 *
 * ```ts
 * import { createNodeClient } from "@modeplatform/client/node";
 * const mp = createNodeClient({ baseUrl: "https://modeplatform.example.com", key: process.env.MODEPLATFORM_KEY });
 * ```
 *
 * @packageDocumentation
 */
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

import { createModeplatformClient, type ModeplatformClient } from "./index.js";

/** Options of createNodeClient. */
export interface NodeClientOptions {
  /** The server: "https://host" or "http://host:port" (a path prefix a proxy serves the API under may follow). */
  baseUrl: string;
  /** The caller's key, sent as `Authorization: Bearer <key>` (see ClientOptions.key). */
  key?: string;
  /**
   * "connect" (the default): the Connect protocol, over HTTP/1.1 unless httpVersion is "2";
   * "grpc": gRPC, over HTTP/2.
   */
  protocol?: "connect" | "grpc";
  /** The HTTP version of the Connect protocol: "1.1" (the default) or "2". */
  httpVersion?: "1.1" | "2";
  /** Binary protobuf instead of JSON on the Connect protocol (gRPC is always binary). */
  useBinaryFormat?: boolean;
  /** Further interceptors of every call (logging, tracing, …). */
  interceptors?: Interceptor[];
}

/** A client of the modeplatform server at options.baseUrl, over @connectrpc/connect-node. */
export function createNodeClient(options: NodeClientOptions): ModeplatformClient {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new TypeError(`@modeplatform/client: baseUrl ${JSON.stringify(options.baseUrl)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`@modeplatform/client: baseUrl ${JSON.stringify(options.baseUrl)} must start with http:// or https://`);
  }
  const interceptors = options.interceptors ?? [];
  const transport =
    options.protocol === "grpc"
      ? createGrpcTransport({ baseUrl: options.baseUrl, interceptors })
      : createConnectTransport({
          baseUrl: options.baseUrl,
          httpVersion: options.httpVersion ?? "1.1",
          useBinaryFormat: options.useBinaryFormat ?? false,
          interceptors,
        });
  return createModeplatformClient(transport, { key: options.key });
}
