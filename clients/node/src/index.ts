/**
 * @modeplatform/client: the generated messages and service descriptors of the modeplatform.v1
 * contract (protobuf-es v2, re-exported here and under `@modeplatform/client/v1/<file>_pb`) and a
 * small client over any Connect transport:
 *
 * ```ts
 * import { createModeplatformClient } from "@modeplatform/client";
 * import { createConnectTransport } from "@connectrpc/connect-web"; // or connect-node, or "@modeplatform/client/node"
 *
 * const mp = createModeplatformClient(createConnectTransport({ baseUrl }), { key });
 * const { run } = await mp.reports.runReport({ name: report, parameters: { region: "West" } });
 * const done = await mp.waitRun(run!.name);
 * for await (const row of mp.rows((await mp.queryRuns(done.name))[0].name)) console.log(row);
 * ```
 *
 * This entry point imports no transport, so it bundles for browsers (with @connectrpc/connect-web)
 * as well as it runs in Node (with @connectrpc/connect-node, or `createNodeClient` from
 * "@modeplatform/client/node").
 *
 * @packageDocumentation
 */
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value as ProtoValue } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";

import { DataSourceService } from "./gen/modeplatform/v1/data_source_pb.js";
import { DatasetService } from "./gen/modeplatform/v1/dataset_pb.js";
import {
  ReportRun_State,
  ReportService,
  type Column,
  type QueryRun,
  type ReportRun,
} from "./gen/modeplatform/v1/report_pb.js";
import { WorkspaceService } from "./gen/modeplatform/v1/workspace_pb.js";

export * from "./gen/v1.js";
export { VERSION } from "./gen/version.js";

/** The proto package of the contract this client speaks. */
export const CONTRACT_PACKAGE = "modeplatform.v1";

/** A value of a result: text (also timestamps, as ISO-8601), a number, a boolean or null. */
export type Value = string | number | boolean | null;

/** A row of a result: its values by column name, in the columns' order. */
export type Row = Record<string, Value>;

/** Options of createModeplatformClient. */
export interface ClientOptions {
  /**
   * The caller's key from the server's caller policy, sent as `Authorization: Bearer <key>` with
   * every call. Use TLS (an https:// base URL) for a server that is not on this host.
   */
  key?: string;
}

/** Options of the calls the helpers make. */
export interface CallOptions {
  /** Aborting it ends the call (and the stream, for followRun and rows). */
  signal?: AbortSignal;
}

/** Options of rows. */
export interface RowsOptions extends CallOptions {
  /** The first row to read, 0 (the default) for the first of the result. */
  offset?: number;
  /** The most rows per message from the server; 0 (the default) lets it choose. */
  batchSize?: number;
}

/** Options of waitRun. */
export interface WaitRunOptions extends CallOptions {
  /** Called with the run each time its state changes (and first as it is). */
  onState?: (run: ReportRun) => void;
}

/** The clients of modeplatform's four services, sharing one transport and key, and the helpers. */
export interface ModeplatformClient {
  /** WorkspaceService: workspaces, members, groups, spaces, people and access. */
  readonly workspaces: Client<typeof WorkspaceService>;
  /** ReportService: reports, runs, queries, results, schedules, subscriptions. */
  readonly reports: Client<typeof ReportService>;
  /** DatasetService: datasets (Mode's data models), their runs and fields. */
  readonly datasets: Client<typeof DatasetService>;
  /** DataSourceService: data sources and shared SQL definitions. */
  readonly dataSources: Client<typeof DataSourceService>;
  /**
   * Yields the report run named `run` (`workspaces/{w}/reports/{r}/runs/{run}`) as it is now,
   * then each time its state changes, and ends after a terminal state (see isTerminal), through
   * WatchReportRun. A watch the server ends with Unavailable is opened again; leaving the loop
   * early ends the watch.
   */
  followRun(run: string, options?: CallOptions): AsyncGenerator<ReportRun, void, undefined>;
  /** Follows the run to its end (see followRun) and returns it in its terminal state. */
  waitRun(run: string, options?: WaitRunOptions): Promise<ReportRun>;
  /** Every query run of the report run named `run` (one per query of the report), all pages. */
  queryRuns(run: string, options?: CallOptions): Promise<QueryRun[]>;
  /** The columns (names and types) of the result of a succeeded query run. */
  columns(queryRun: string, options?: CallOptions): Promise<Column[]>;
  /**
   * Yields the rows of the succeeded query run named `queryRun`
   * (`workspaces/{w}/reports/{r}/runs/{run}/queryRuns/{q}`) in result order, each an object by
   * column name, through StreamQueryResults. A stream the server ends with Unavailable is opened
   * again from the next row; leaving the loop early ends the stream.
   */
  rows(queryRun: string, options?: RowsOptions): AsyncGenerator<Row, void, undefined>;
}

const terminal = new Set([
  ReportRun_State.SUCCEEDED,
  ReportRun_State.FAILED,
  ReportRun_State.CANCELLED,
  ReportRun_State.COMPLETED,
]);

/** Whether a run in this state has ended: succeeded, failed, cancelled or completed. */
export function isTerminal(state: ReportRun_State): boolean {
  return terminal.has(state);
}

// How many times in a row a stream is opened again after Unavailable without anything new
// arriving, and the waits before each.
const retryDelaysMs = [500, 1000, 2000, 4000, 8000];

/**
 * The clients of the four services over `transport` (from @connectrpc/connect-node or
 * @connectrpc/connect-web: the Connect protocol, gRPC or gRPC-Web), with the key in options.
 */
export function createModeplatformClient(transport: Transport, options: ClientOptions = {}): ModeplatformClient {
  if (options.key !== undefined) {
    transport = withKey(transport, options.key);
  }
  const workspaces = createClient(WorkspaceService, transport);
  const reports = createClient(ReportService, transport);
  const datasets = createClient(DatasetService, transport);
  const dataSources = createClient(DataSourceService, transport);

  async function* followRun(run: string, opts: CallOptions = {}): AsyncGenerator<ReportRun, void, undefined> {
    let last: ReportRun | undefined;
    for (let retries = 0; ; ) {
      const stop = linked(opts.signal);
      try {
        for await (const res of reports.watchReportRun({ name: run }, { signal: stop.signal })) {
          const got = res.run;
          if (!got || (last && got.state === last.state)) continue; // the same state again, after a new watch
          last = got;
          retries = 0;
          yield got;
          if (isTerminal(got.state)) return;
        }
        throw new Error(`@modeplatform/client: the watch of ${run} ended before the run did`);
      } catch (err) {
        if (!(await retryAfter(err, retries++, opts.signal))) throw err;
      } finally {
        stop.abort();
      }
    }
  }

  async function waitRun(run: string, opts: WaitRunOptions = {}): Promise<ReportRun> {
    let last: ReportRun | undefined;
    for await (const r of followRun(run, opts)) {
      last = r;
      opts.onState?.(r);
    }
    if (!last) throw new Error(`@modeplatform/client: the watch of ${run} sent nothing`);
    return last;
  }

  async function queryRuns(run: string, opts: CallOptions = {}): Promise<QueryRun[]> {
    const all: QueryRun[] = [];
    let pageToken = "";
    do {
      const res = await reports.listQueryRuns({ parent: run, pageToken }, { signal: opts.signal });
      all.push(...res.queryRuns);
      pageToken = res.nextPageToken;
    } while (pageToken);
    return all;
  }

  async function* batches(
    queryRun: string,
    opts: RowsOptions,
  ): AsyncGenerator<{ columns: Column[]; rows: ProtoValue[][] }, void, undefined> {
    let offset = opts.offset ?? 0;
    const batchSize = opts.batchSize ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(batchSize) || batchSize < 0) {
      throw new RangeError(`@modeplatform/client: offset (${offset}) and batchSize (${batchSize}) must be integers, not negative`);
    }
    let columns: Column[] = [];
    for (let retries = 0; ; ) {
      const stop = linked(opts.signal);
      try {
        const stream = reports.streamQueryResults(
          { name: queryRun, offset: BigInt(offset), maxRowsPerBatch: batchSize },
          { signal: stop.signal },
        );
        for await (const res of stream) {
          if (res.columns.length > 0) columns = res.columns;
          if (res.rows.length > 0 && Number(res.offset) !== offset) {
            throw new Error(`@modeplatform/client: the result of ${queryRun}: the server sent rows from ${res.offset}, not ${offset}`);
          }
          offset += res.rows.length;
          if (res.rows.length > 0) retries = 0;
          yield { columns, rows: res.rows.map((r) => r.values) };
        }
        return;
      } catch (err) {
        if (!(await retryAfter(err, retries++, opts.signal))) throw err;
      } finally {
        stop.abort();
      }
    }
  }

  async function columns(queryRun: string, opts: CallOptions = {}): Promise<Column[]> {
    for await (const b of batches(queryRun, { ...opts, batchSize: 1 })) return b.columns;
    return [];
  }

  async function* rows(queryRun: string, opts: RowsOptions = {}): AsyncGenerator<Row, void, undefined> {
    for await (const b of batches(queryRun, opts)) {
      const names = b.columns.map((c) => c.name);
      for (const values of b.rows) {
        const row: Row = {};
        names.forEach((name, i) => {
          row[name] = values[i] ? toValue(values[i]) : null;
        });
        yield row;
      }
    }
  }

  return { workspaces, reports, datasets, dataSources, followRun, waitRun, queryRuns, columns, rows };
}

/** A google.protobuf.Value of a result row as a plain value. */
function toValue(v: ProtoValue): Value {
  switch (v.kind.case) {
    case "stringValue":
    case "numberValue":
    case "boolValue":
      return v.kind.value;
    case "nullValue":
    case undefined:
      return null;
    default:
      // Lists and structs do not occur in results; keep their JSON text if they ever do.
      return JSON.stringify(toJson(ValueSchema, v));
  }
}

/** An AbortController that also aborts when parent does. */
function linked(parent: AbortSignal | undefined): AbortController {
  const c = new AbortController();
  if (parent?.aborted) c.abort(parent.reason);
  else parent?.addEventListener("abort", () => c.abort(parent.reason), { once: true });
  return c;
}

/** Whether to open a stream again after err, having waited: only Unavailable, a few times. */
async function retryAfter(err: unknown, retries: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted || retries >= retryDelaysMs.length) return false;
  if (ConnectError.from(err).code !== Code.Unavailable) return false;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, retryDelaysMs[retries]);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
  return !signal?.aborted;
}

/** The transport, sending `Authorization: Bearer <key>` with every call. */
function withKey(transport: Transport, key: string): Transport {
  if (!key || !/^[\x21-\x7e]+$/.test(key)) {
    // Never echo the key: it is a secret.
    throw new TypeError("@modeplatform/client: the key must be non-empty printable ASCII without spaces");
  }
  const authorization = `Bearer ${key}`;
  const headers = (init: HeadersInit | undefined) => {
    const h = new Headers(init);
    h.set("Authorization", authorization);
    return h;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, timeoutMs, headers(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, timeoutMs, headers(header), input, contextValues),
  };
}
