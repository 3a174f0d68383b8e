// Shapes of docs/web-protocol.md (protocol 1).

export interface Service { id: number; name: string; package: string; tier: number }
export interface Edge { id: number; source: number; target: number }
export interface Instance {
  id: number; name: string; service: number; region: string; zone: string;
  born: number; died: number | null;
}
export interface Topology {
  services: Service[]; edges: Edge[]; regions: string[]; zones: string[]; instances: Instance[];
}

export interface Span {
  id: string; parent: string | null; service: string; instance: string; name: string;
  start_ms: number; duration_ms: number; error: boolean; kind: 'SERVER' | 'CLIENT';
}
export interface Trace { trace: string | number; spans: Span[] }
export interface TraceSummary {
  trace: string | number; root: string; start: number; duration_ms: number; error: boolean; spans: number;
}

export interface CommandCounts {
  success: number; failure: number; timeout: number; short_circuited: number;
  thread_pool_rejected: number; semaphore_rejected: number; fallback_success: number; fallback_failure: number;
}
export interface Command {
  name: string; caller: string; dependency: string; hosts: number; rate: number; error_share: number;
  requests: number; counts: CommandCounts; open: number; half_open: number; closed: number;
  latency_ms: Record<string, number>; concurrency: number;
  pool: { active: number; queued: number; size: number } | null;
}

export interface ChaosRecord { time: number; action: string; target: string; detail: string }
export interface Fault { id: number; kind: string; target: string; since: number; active: boolean }

export interface Hello {
  type: 'hello'; protocol: number; mode: 'live'; arch: string; duration: number; speed: number;
  paused: boolean; t: number; topology: Topology; chaos_actions: string[];
  limits?: { max_message_bytes: number };
}
export interface Tick {
  type: 'tick'; t: number; speed: number; paused: boolean; live: number;
  services: { rate: number[]; errors: number[]; p50_ms: number[]; p99_ms: number[]; live: number[] };
  edges: { rate: number[]; errors: number[] };
  born: Instance[]; died: [number, number][]; commands: Command[]; chaos: ChaosRecord[]; faults: Fault[];
}
export interface Ack { type: 'ack'; id: number; result: Record<string, unknown> }
export interface ErrorMsg { type: 'error'; id: number | null; message: string }
export interface End { type: 'end'; status: 'complete' | 'interrupted'; t: number }
export type ServerMessage = Hello | Tick | Ack | ErrorMsg | End;

export interface Session { protocol: number; mode: 'live' | 'replay'; arch: string; source: string }

export interface Step { step: number; arch: string; topology: Topology }
/** One Hystrix command per metrics sample (replay): counts per interval, the rest as sampled. */
export interface CommandSeries {
  name: string; caller: string; dependency: string; t: number[];
  counts: Partial<Record<keyof CommandCounts, number[]>>;
  rate: number[]; error_share: number[]; open: number[]; half_open: number[]; breakers: number[];
  concurrent: number[]; p50_ms: (number | null)[]; p99_ms: (number | null)[];
}

export interface Replay {
  type: 'replay'; protocol: number; arch: string; duration: number; source: string;
  topology: Topology; edge_born: (number | null)[]; chaos: ChaosRecord[];
  series: {
    t: number[];
    services: { rate: number[][]; errors: number[][]; p50_ms: number[][]; p99_ms: number[][] };
    edges?: { rate: number[][]; errors: number[][] };
  };
  breakers: { t: number; command: string; open_share: number }[];
  commands: Command[];
  command_series?: CommandSeries[];
  traces: TraceSummary[];
  steps?: Step[];
  trace_data?: Trace[] | Record<string, Trace>;
}
