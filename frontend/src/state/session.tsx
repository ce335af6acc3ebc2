import { createContext, useContext } from "react";
import type { Capability, Profile } from "../api/types";

export interface Session {
  profile: Profile;
  onLogout: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a logged-in page");
  return session;
}

export function can(profile: Profile, capability: Capability): boolean {
  return profile.capabilities.includes(capability);
}
