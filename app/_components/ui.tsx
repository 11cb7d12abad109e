// Small presentational pieces shared by pages (server- and client-safe: no hooks, no I/O).
import type { ReactNode } from "react";

const BUTTON_BASE =
  "inline-flex items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-medium shadow-sm transition-colors disabled:cursor-not-allowed disabled:opacity-60";
export const buttonClass = {
  primary: `${BUTTON_BASE} bg-sky-700 text-white hover:bg-sky-800`,
  secondary: `${BUTTON_BASE} border border-slate-300 bg-white text-slate-800 hover:bg-slate-100`,
  danger: `${BUTTON_BASE} border border-red-300 bg-white text-red-700 hover:bg-red-50`,
  small:
    "inline-flex items-center whitespace-nowrap rounded border border-slate-300 bg-white px-2 py-1 text-xs font-medium text-slate-800 hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-60",
  smallDanger:
    "inline-flex items-center rounded border border-red-300 bg-white px-2 py-1 text-xs font-medium text-red-700 hover:bg-red-50 disabled:cursor-not-allowed disabled:opacity-60",
};

export const inputClass = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-sky-600";
export const labelClass = "block text-sm font-medium text-slate-700";

export function Card({ children, className = "", padded = true }: { children: ReactNode; className?: string; padded?: boolean }) {
  return <section className={`rounded-lg border border-slate-200 bg-white shadow-sm ${padded ? "p-6" : ""} ${className}`}>{children}</section>;
}

export function Notice({ kind, children, testId }: { kind: "error" | "info" | "success"; children: ReactNode; testId?: string }) {
  const tone =
    kind === "error"
      ? "border-red-200 bg-red-50 text-red-800"
      : kind === "success"
        ? "border-emerald-200 bg-emerald-50 text-emerald-800"
        : "border-sky-200 bg-sky-50 text-sky-900";
  return (
    <div role={kind === "error" ? "alert" : "status"} data-testid={testId} className={`rounded-md border px-4 py-3 text-sm ${tone}`}>
      {children}
    </div>
  );
}

const STATE_LABEL: Record<string, string> = {
  stopped: "Stopped",
  pending: "Starting",
  starting: "Starting",
  running: "Running",
  stopping: "Stopping",
  failed: "Failed",
};

export function stateLabel(state: string): string {
  return STATE_LABEL[state] ?? state;
}

export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  const tone =
    state === "running"
      ? "bg-emerald-100 text-emerald-800"
      : state === "failed"
        ? "bg-red-100 text-red-800"
        : state === "pending" || state === "starting" || state === "stopping"
          ? "bg-amber-100 text-amber-900"
          : "bg-slate-100 text-slate-700";
  return (
    <span data-testid={testId} data-state={state} className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-medium ${tone}`}>
      {stateLabel(state)}
    </span>
  );
}
