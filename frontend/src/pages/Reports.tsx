// Reports: download a report of a period, and (managers, admins) the report schedules.
import { useEffect } from "react";
import { api, ApiError } from "../api/client";
import { ErrorNote, Loading } from "../components/Status";
import { fmtTime } from "../format/time";
import { can, useSession } from "../state/session";
import { useResource } from "../state/useResource";
import { useLayout } from "./context";

export function Reports() {
  const { profile } = useSession();
  const { page, markUpdated } = useLayout();
  const allowed = can(profile, "reports");
  const list = useResource(allowed ? () => api.reports() : null, [allowed], page.tick);
  useEffect(() => {
    if (!list.loading && (list.data || list.error)) markUpdated(); // the server answered
  }, [list.data, list.error, list.loading]); // eslint-disable-line
  if (!allowed) {
    return (
      <div className="page">
        <h1>Reports</h1>
        <p role="alert" className="status status-error">
          Your role ({profile.role}) cannot open reports or their schedules: managers and admins can.
        </p>
      </div>
    );
  }
  const unavailable = list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 405);
  return (
    <div className="page">
      <div className="page-title">
        <h1>Reports</h1>
        <p className="muted">
          PDF and Excel reports of {page.site ? `site ${page.site.name}` : "the fleet"}. The header's <strong>Download report</strong> button makes one of
          the range on screen: {fmtTime(page.start, page.zone)} to {fmtTime(page.end, page.zone)}.
        </p>
      </div>
      {unavailable ? (
        <section className="card">
          <h2>Stored reports and schedules are not available on this server</h2>
          <p>
            The server has no <code>/api/v1/reports</code> endpoint. Health, risk and incidents are unaffected.
          </p>
        </section>
      ) : list.error ? (
        <ErrorNote error={list.error} />
      ) : !list.data ? (
        <Loading what="reports" />
      ) : (
        <section className="card">
          <h2>Stored reports</h2>
          <pre className="explanation">{JSON.stringify(list.data, null, 2)}</pre>
        </section>
      )}
    </div>
  );
}
