/** What the clinician console receives (shared by the server and the pages). */
import type { AlertView } from '../common/alert-api.ts';
import type { VitalKey } from './family-protocol.ts';

export interface News2View {
  readonly score: number;
  readonly risk: 'low' | 'low-medium' | 'medium' | 'high';
  readonly partial: boolean;
  readonly missing: readonly string[];
}

export interface ConsoleRow {
  readonly id: string;
  readonly name: string;
  readonly presence: {
    readonly online: boolean | null;
    readonly lastSeen: number | null;
    readonly battery: number | null;
  };
  readonly latest: Partial<Record<VitalKey, { value: number; ts: number }>>;
  readonly news2: News2View | null;
  /** How this patient's NEWS2 is scored (the page recomputes it as readings arrive). */
  readonly news2Options: { readonly spo2Scale: 1 | 2; readonly onOxygen: boolean };
  readonly alerts: readonly AlertView[];
  /** Names of the people the alerts mention (who acknowledged, who is on the way). */
  readonly names: Readonly<Record<string, string>>;
}

export interface StaffMe {
  readonly id: string;
  readonly name: string;
  readonly role: 'clinician' | 'nurse' | 'admin';
  readonly lang: string;
}

export interface ThresholdView {
  readonly id: string;
  readonly vital: string;
  readonly direction: 'below' | 'above';
  readonly limit: number;
  readonly priority: 'high' | 'medium' | 'low';
  readonly enabled: boolean;
}
