// Factors of the health drop as bars by their share (CONTRACTS §13.3), numbers as the API has them.
import type { Factor } from "../api/types";
import { FACTOR_QUANTITY, fmt } from "../format/numbers";
import { FACTOR_LABELS } from "../format/labels";

export function FactorBars({ factors }: { factors: Factor[] }) {
  const dropping = factors.filter((f) => f.penalty > 0);
  if (!dropping.length) return <p className="muted">No factor reduces health.</p>;
  return (
    <ol className="factors" aria-label="Factors by share of the health drop">
      {dropping.map((f) => (
        <li key={f.name} className="factor" data-factor={f.name}>
          <div className="factor-head">
            <span className="factor-name">{FACTOR_LABELS[f.name] ?? f.name}</span>
            <span className="factor-value" data-field="value">
              {fmt(f.value, FACTOR_QUANTITY[f.name] ?? "anomaly")}
              {f.zone ? ` · zone ${f.zone}` : ""}
            </span>
          </div>
          <div className="bar-track" aria-hidden="true">
            <div className="bar-fill" style={{ width: `${Math.min(100, f.share_of_drop * 100)}%` }} />
          </div>
          <div className="factor-foot">
            <span data-field="penalty">{fmt(f.penalty, "points")}</span>
            <span data-field="share">{fmt(f.share_of_drop * 100, "percent")} of the drop</span>
            {f.deviation_sigma !== null && (
              <span data-field="deviation">{fmt(f.deviation_sigma, "sd")} from baseline</span>
            )}
          </div>
        </li>
      ))}
    </ol>
  );
}
