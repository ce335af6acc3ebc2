// What to check: passages of the knowledge base with their citations (CONTRACTS §15.5).
import type { Guidance as G } from "../api/types";

export function Guidance({ guidance }: { guidance: G | null | undefined }) {
  // The actions are shown once, in their own box; a passage that is the same section is not repeated.
  const passages = (guidance?.passages ?? []).filter((p) => p.citation !== guidance?.actions?.citation);
  const tidy = (text: string) => text.replace(/\n[ \t]{2,}/g, " ");
  if (!guidance || (!passages.length && !guidance.actions)) {
    return <p className="muted">No guidance for this incident.</p>;
  }
  return (
    <div className="guidance">
      {guidance.likely_mode && (
        <p>
          Most likely failure mode: <strong>{guidance.likely_mode.replaceAll("_", " ")}</strong>
        </p>
      )}
      {guidance.actions && (
        <div className="actions-box">
          <h4>What to do</h4>
          <p className="pre">{tidy(guidance.actions.text)}</p>
          <cite>{guidance.actions.citation}</cite>
        </div>
      )}
      {passages.map((p) => (
        <blockquote key={p.citation} className="passage">
          <p>{p.excerpt}</p>
          <cite>{p.citation}</cite>
        </blockquote>
      ))}
      {guidance.note && <p className="muted">{guidance.note}</p>}
    </div>
  );
}
