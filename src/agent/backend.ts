/**
 * What the agent tools need from an engine. Two things implement it over the same engine
 * process: src/server/workspace.ts `Workspace` (inside the engine process, and in `codescout
 * mcp`), and the extension's adapter over its JSON-RPC client (src/extension/agent-backend.ts).
 * Roots are absolute folder paths; paths inside a folder are POSIX paths relative to its root.
 */
import type { StatusReport } from '../engine/engine';
import type {
  DefinitionEntry,
  FolderStatus,
  NamedParams,
  QueryParams,
  QueryResult,
  RelatedParams,
  RelatedResult,
} from '../protocol/protocol';

export interface AgentBackend {
  /** every served folder, in the order they were opened */
  statuses(): Promise<FolderStatus[]>;
  search(p: QueryParams): Promise<QueryResult>;
  similar(p: QueryParams): Promise<QueryResult>;
  /** `null` when no indexed definition is at that line */
  related(p: RelatedParams): Promise<RelatedResult | null>;
  definitionsNamed(p: NamedParams): Promise<DefinitionEntry[]>;
  /** the full status of one folder (scans it for staleness) */
  report(root: string): Promise<StatusReport>;
}
