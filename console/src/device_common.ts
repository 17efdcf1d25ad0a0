// Pieces shared by the device page's tabs: the API's list shape and the
// lookup of the device's MQTT session (Info and Subscriptions).
import { useEffect, useState } from "preact/hooks";
import { api } from "./api";
import { messageOf } from "./ui";

export interface List<T> {
  items: T[];
  total: number;
}

interface SessionInfo {
  clientId: string;
  state: string;
  ip: string;
  listener: string;
  protocol: string;
  username: string;
  productKey?: string;
  deviceName?: string;
  keepAlive: number;
  expiry: number;
  durable: boolean;
  connectedAt: number;
  disconnectedAt: number;
}

/** The device's session: its client id is whatever the device sent. */
async function findSession(pk: string, dn: string): Promise<SessionInfo | null> {
  const tries: Record<string, string>[] = [
    { product: pk, clientId: `${pk}.${dn}`, limit: "100" },
    { product: pk, clientId: dn, limit: "100" },
    { product: pk, limit: "1000" },
  ];
  for (const q of tries) {
    const r = await api<List<SessionInfo>>(
      "GET",
      "/api/v1/sessions?" + new URLSearchParams(q).toString(),
    );
    const mine = r.items.filter((s) => s.deviceName === dn);
    const s = mine.find((x) => x.state === "online") ?? mine[0];
    if (s) return s;
  }
  return null;
}

export function useSession(pk: string, dn: string) {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    findSession(pk, dn)
      .then((s) => {
        if (!live) return;
        setSession(s);
        setError("");
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [pk, dn, tick]);
  return { session, error, reload: () => setTick((t) => t + 1) };
}
