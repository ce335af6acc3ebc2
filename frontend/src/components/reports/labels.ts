// Words for the report and schedule fields (CONTRACTS §16.4, §16.5): every status has its text.
import type { DeliveryStatus, PeriodRule, ReportScope, ReportStatus, ScheduleFormats } from "../../api/types";

export const REPORT_STATUS: Record<ReportStatus, string> = {
  queued: "Queued",
  running: "Building",
  ready: "Ready",
  failed: "Failed",
};

export const DELIVERY_STATUS: Record<DeliveryStatus, string> = {
  pending: "Pending (sending or waiting to retry)",
  sent: "Sent",
  failed: "Failed",
};

export const PERIOD_RULE: Record<PeriodRule, string> = {
  previous_day: "Previous day",
  previous_week: "Previous week (Mon–Sun)",
  previous_month: "Previous month",
};

export const FORMATS: Record<ScheduleFormats, string> = { pdf: "PDF", xlsx: "Excel", both: "PDF and Excel" };

/** "Fleet", "Site main", "Asset MTR-001". */
export function scopeLabel(scope: ReportScope, id: string): string {
  if (scope === "fleet") return "Fleet";
  return `${scope === "site" ? "Site" : "Asset"} ${id}`;
}
