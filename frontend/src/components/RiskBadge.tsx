// Risk always as text plus a shape, on colours from ColorBrewer's RdYlBu (readable with the common
// colour-vision deficiencies): the colour helps, the word and the glyph carry the meaning.
import type { RiskLevel, Severity } from "../api/types";

const GLYPH: Record<RiskLevel, string> = { Low: "●", Medium: "▲", High: "◆", Critical: "■" };

export function RiskBadge({ level, stale }: { level: RiskLevel | null; stale?: boolean }) {
  if (!level) return <span className="badge badge-none">No data</span>;
  return (
    <span className={`badge risk-${level.toLowerCase()}`} title={stale ? `${level} (data is stale)` : level}>
      <span aria-hidden="true" className="glyph">
        {GLYPH[level]}
      </span>
      {level}
    </span>
  );
}

const SEVERITY_LEVEL: Record<Severity, RiskLevel> = { warning: "Medium", high: "High", critical: "Critical" };

export function SeverityBadge({ severity }: { severity: Severity }) {
  const level = SEVERITY_LEVEL[severity];
  return (
    <span className={`badge risk-${level.toLowerCase()}`}>
      <span aria-hidden="true" className="glyph">
        {GLYPH[level]}
      </span>
      {severity[0].toUpperCase() + severity.slice(1)}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state[0].toUpperCase() + state.slice(1)}</span>;
}
