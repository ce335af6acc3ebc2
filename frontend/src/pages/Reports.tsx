// Reports: the stored reports, a report of the page's range, and (managers, admins) the schedules.
import { useEffect } from "react";
import { api, ApiError } from "../api/client";
import { ReportRequest } from "../components/reports/ReportRequest";
import { ReportTable } from "../components/reports/ReportTable";
import { Schedules } from "../components/reports/Schedules";
import { ErrorNote, Loading } from "../components/Status";
import type { Zone } from "../format/time";
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
  // periods in the site's zone (beside UTC), whatever the header's zone switch says
  const siteZone: Zone = { kind: "site", timeZone: (page.site ?? page.sites[0])?.time_zone ?? "UTC" };
  const unavailable = list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 405);
  return (
    <div className="page">
      <div className="page-title">
        <h1>Reports</h1>
        <p className="muted">
          PDF and Excel reports. The header's <strong>Download report</strong> button makes one of what is on screen; the
          form below makes one of the page's range for the fleet, a site or an asset. Stored reports are kept 30 days.
        </p>
      </div>
      <section className="card" aria-labelledby="request-title">
        <h2 id="request-title">Request a report</h2>
        <ReportRequest start={page.start} end={page.end} zone={page.zone} onDone={list.reload} />
      </section>
      {unavailable ? (
        <section className="card">
          <h2>Stored reports are not available on this server</h2>
          <p>
            The server has no <code>/api/v1/reports</code> endpoint. Health, risk and incidents are unaffected.
          </p>
        </section>
      ) : list.error ? (
        <ErrorNote error={list.error} />
      ) : !list.data ? (
        <Loading what="reports" />
      ) : (
        <section className="card table-wrap" aria-labelledby="stored-title">
          <h2 id="stored-title">Stored reports</h2>
          <ReportTable reports={list.data} zone={siteZone} />
        </section>
      )}
      <Schedules profile={profile} />
    </div>
  );
}
