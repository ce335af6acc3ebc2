import { fmt } from "../format/numbers";
import { RUL_REASONS } from "../format/labels";

const SHORT: Record<string, string> = {
  insufficient_history: "Too little history",
  no_degrading_trend: "No degrading trend",
  no_baseline: "No baseline yet",
};

/** RUL with its 80 % interval, or why there is none (CONTRACTS §11.3). */
export function Rul({ days, interval, reason, long = false }: { days: number | null; interval: [number, number] | null; reason: string | null; long?: boolean }) {
  if (days === null) {
    const text = reason ? (long ? `Not estimated: ${RUL_REASONS[reason] ?? reason}` : SHORT[reason] ?? reason) : "—";
    return (
      <span className="muted" title={reason ? RUL_REASONS[reason] ?? reason : undefined} data-rul-reason={reason ?? ""}>
        {text}
      </span>
    );
  }
  return (
    <span data-rul-days={days}>
      <strong>{fmt(days, "days")}</strong>
      {interval && (
        <span className="muted">
          {" "}
          (80%: {fmt(interval[0], "days").replace(" days", "")}–{fmt(interval[1], "days")})
        </span>
      )}
      {reason === "threshold_exceeded" && <span className="muted"> · at the failure threshold</span>}
    </span>
  );
}
