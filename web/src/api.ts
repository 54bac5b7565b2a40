// The console's side of the API: the transports it can use (Connect with JSON, or gRPC-Web) and
// clients for the services, all from the generated code in gen/ts.
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";

import { DatasetService } from "@gen/modeplatform/v1/dataset_pb.js";
import { ReportService } from "@gen/modeplatform/v1/report_pb.js";
import { WorkspaceService } from "@gen/modeplatform/v1/workspace_pb.js";

export type TransportKind = "connect" | "grpcweb";

export const transportKinds: readonly TransportKind[] = ["connect", "grpcweb"];

export const transportLabels: Record<TransportKind, string> = {
  connect: "Connect (JSON)",
  grpcweb: "gRPC-Web (binary)",
};

/** The transport named by a query parameter value, or undefined when it names none. */
export function parseTransport(value: string | null): TransportKind | undefined {
  switch (value?.toLowerCase()) {
    case "connect":
      return "connect";
    case "grpcweb":
    case "grpc-web":
      return "grpcweb";
    default:
      return undefined;
  }
}

export interface Api {
  kind: TransportKind;
  workspaces: Client<typeof WorkspaceService>;
  reports: Client<typeof ReportService>;
  datasets: Client<typeof DatasetService>;
}

/**
 * Clients over one transport. The API is served from the page's own origin (the binary serves
 * both; `npm run dev` proxies), so no CORS is involved. bearerToken, when given, is sent as an
 * Authorization header on every call.
 */
export function createApi(kind: TransportKind, baseUrl: string, bearerToken: () => string): Api {
  const auth: Interceptor = (next) => (req) => {
    const token = bearerToken().trim();
    if (token !== "") {
      req.header.set("Authorization", `Bearer ${token}`);
    }
    return next(req);
  };
  const transport: Transport =
    kind === "grpcweb"
      ? createGrpcWebTransport({ baseUrl, interceptors: [auth] })
      : createConnectTransport({ baseUrl, useBinaryFormat: false, interceptors: [auth] });
  return {
    kind,
    workspaces: createClient(WorkspaceService, transport),
    reports: createClient(ReportService, transport),
    datasets: createClient(DatasetService, transport),
  };
}

/** The Connect name of a code, as on the wire: Code.NotFound is "not_found". */
export function codeName(code: Code): string {
  const name = Code[code];
  if (name === undefined) {
    return `code_${code}`;
  }
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}

/**
 * What a failed call says: its Connect code and message. A call aborted through signal (a newer
 * one replaced it) answers undefined: nothing to show.
 */
export function describeError(err: unknown, signal?: AbortSignal): { code: string; message: string } | undefined {
  if (signal?.aborted) {
    return undefined;
  }
  const ce = ConnectError.from(err);
  return { code: codeName(ce.code), message: ce.rawMessage };
}

/** Whether a call failed because the server does not serve its method (yet): Connect's unimplemented. */
export function isUnimplemented(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Unimplemented;
}

/** A random UUID (version 4) for request_id, also where crypto.randomUUID is missing (plain HTTP on a LAN address). */
export function newRequestId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
