import { useOutletContext } from "react-router";
import type { PageState } from "../state/page";

export interface LayoutContext {
  page: PageState;
  /** A page tells the header when its data last arrived (the live indicator). */
  markUpdated: () => void;
  /** What the header's report button reports on. */
  setReportScope: (scope: { scope: "fleet" | "site" | "asset"; id?: string }) => void;
}

export const useLayout = () => useOutletContext<LayoutContext>();
