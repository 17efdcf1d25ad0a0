// The rules API's shapes (a rule, its actions' specs, its counters) and the
// small helpers the rules list, the editor and the metrics panel share.

export type ActionSpec = { type: string } & Record<string, unknown>;

export interface ActionMetrics {
  index?: number;
  type: string;
  state: string;
  error?: string;
  matched?: number;
  success?: number;
  failed?: number;
  retried?: number;
  dropped?: Record<string, number>;
  inflight?: number;
  queuing?: number;
  queuedBytes?: number;
}

export interface RuleMetrics {
  state: string;
  error?: string;
  matched?: number;
  passed?: number;
  failed?: number;
  exception?: number;
  noResult?: number;
  errorRecords?: number;
  dropped?: { overloaded?: number };
  backlog?: number;
  actions?: ActionMetrics[];
  errorAction?: ActionMetrics;
}

export interface Rule {
  id: string;
  name: string;
  description: string;
  sql: string;
  enabled: boolean;
  actions: ActionSpec[];
  errorAction?: ActionSpec;
  createdMs: number;
  updatedMs: number;
  metrics?: RuleMetrics;
}

export function num(v: number | undefined): string {
  return (v ?? 0).toLocaleString();
}

export function deleteText(name: string, id: string): string {
  return `Delete the rule “${name}” (${id})? Its actions stop at once.`;
}
