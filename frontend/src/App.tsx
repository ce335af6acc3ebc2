// The app: who is logged in decides between the login page and the dashboard; the dashboard's
// layout (header + page) wraps Fleet, Asset, Incidents, Energy and Reports.
import { useCallback, useEffect, useState } from "react";
import { BrowserRouter, Outlet, Route, Routes } from "react-router";
import { api, ApiError } from "./api/client";
import type { Profile } from "./api/types";
import { Header } from "./components/Header";
import { ErrorNote, Loading } from "./components/Status";
import { AssetPage } from "./pages/Asset";
import type { LayoutContext } from "./pages/context";
import { Energy } from "./pages/Energy";
import { Fleet } from "./pages/Fleet";
import { IncidentDetail } from "./pages/IncidentDetail";
import { Incidents } from "./pages/Incidents";
import { Login } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { Reports } from "./pages/Reports";
import { usePageState } from "./state/page";
import { SessionContext, useSession } from "./state/session";

type ReportScope = { scope: "fleet" | "site" | "asset"; id?: string };

function Layout() {
  const { profile, onLogout } = useSession();
  const page = usePageState();
  const [lastUpdate, setLastUpdate] = useState<number | null>(null);
  const [reportScope, setReportScope] = useState<ReportScope>({ scope: "fleet" });
  const markUpdated = useCallback(() => setLastUpdate(Date.now()), []);
  const context: LayoutContext = { page, markUpdated, setReportScope };
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <Header profile={profile} page={page} lastUpdate={lastUpdate} reportScope={reportScope} onLogout={onLogout} />
      <main id="main" tabIndex={-1}>
        <Outlet context={context} />
      </main>
      <footer className="app-footer">
        <span>
          Numbers as the API serves them (docs/CONTRACTS.md §14.2) · <a href={profile.links.api_docs}>API documentation</a>
          {profile.links.admin && (
            <>
              {" "}
              · <a href={profile.links.admin}>Django admin</a>
            </>
          )}
        </span>
      </footer>
    </>
  );
}

export function App() {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [checked, setChecked] = useState(false);
  useEffect(() => {
    api
      .me()
      .then(setProfile)
      .catch((err) => {
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) setError(err);
      })
      .finally(() => setChecked(true));
  }, []);
  const onLogout = useCallback(() => {
    api.logout().finally(() => {
      setProfile(null);
      window.history.replaceState(null, "", "/");
    });
  }, []);
  if (!checked) return <Loading what="the dashboard" />;
  if (error) return <ErrorNote error={error} />;
  if (!profile) return <Login onLogin={setProfile} />;
  return (
    <SessionContext.Provider value={{ profile, onLogout }}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Fleet />} />
            <Route path="assets/:assetId" element={<AssetPage />} />
            <Route path="incidents" element={<Incidents />} />
            <Route path="incidents/:alertId" element={<IncidentDetail />} />
            <Route path="energy" element={<Energy />} />
            <Route path="reports" element={<Reports />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionContext.Provider>
  );
}
