// The schedules section of the Reports page: only for logins that can `schedules` (managers,
// admins); any other role gets a note saying so.
import { api } from "../../api/client";
import type { Profile } from "../../api/types";
import { can } from "../../state/session";
import { useResource } from "../../state/useResource";
import { ErrorNote, Loading } from "../Status";
import { ScheduleForm } from "./ScheduleForm";
import { ScheduleList } from "./ScheduleList";

export function SchedulesNote({ role }: { role: string | null }) {
  return (
    <p role="note" className="status">
      Your role ({role ?? "none"}) cannot open report schedules: managers and admins can.
    </p>
  );
}

export function Schedules({ profile }: { profile: Profile }) {
  const allowed = can(profile, "schedules");
  const list = useResource(allowed ? () => api.schedules() : null, [allowed]);
  return (
    <section className="card" aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      {!allowed ? (
        <SchedulesNote role={profile.role} />
      ) : (
        <>
          <p className="muted">
            A schedule e-mails the reports of the last whole day, week or month (in the scope's site time zone) to its
            recipients after every period.
          </p>
          {list.error ? <ErrorNote error={list.error} /> : !list.data ? <Loading what="schedules" /> : <ScheduleList schedules={list.data} onChanged={list.reload} />}
          <h3>New schedule</h3>
          <ScheduleForm onCreated={list.reload} />
        </>
      )}
    </section>
  );
}
