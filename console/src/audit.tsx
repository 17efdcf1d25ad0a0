// Audit log (GET /api/v1/audit, admins only): every change — who, what,
// when, from where, the answer — newest first, a page at a time.
import { useState } from "preact/hooks";
import { ErrorText, fmtTime, Loading, Pager, useApi } from "./ui";

interface AuditEntry {
  seq: number;
  timeMs: number;
  who: string;
  action: string;
  target: string;
  address: string;
  result: number;
  detail: string;
}

const limit = 50;

export function AuditPage() {
  const [page, setPage] = useState(1);
  const list = useApi<{ items: AuditEntry[]; total: number }>(
    `/api/v1/audit?page=${page}&limit=${limit}`,
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div class="toolbar">
        <button type="button" onClick={list.reload} disabled={list.loading}>
          Refresh
        </button>
      </div>
      <ErrorText error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <>
          <div class="table-wrap">
            <table class="list" aria-label="Audit entries">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Address</th>
                  <th scope="col">Result</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((a) => (
                  <tr>
                    <td>{fmtTime(a.timeMs)}</td>
                    <td>{a.who}</td>
                    <td class="mono">{a.action}</td>
                    <td class="mono">{a.target}</td>
                    <td>{a.address}</td>
                    <td>
                      <span class={"badge " + (a.result < 400 ? "online" : "offline")}>
                        {a.result}
                      </span>
                    </td>
                    <td>{a.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} limit={limit} total={list.data.total} onPage={setPage} />
        </>
      )}
    </section>
  );
}
