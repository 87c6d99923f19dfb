import { WORKLOAD_CLASS_TITLES, type WorkloadClassDecision } from '@/lib/behaviour/workload-class';

/** A workload's class with the reason it was decided (lib/behaviour/workload-class.ts). */
export function WorkloadClassText({ decision }: { decision: WorkloadClassDecision }) {
  return (
    <span data-class={decision.class}>
      <strong>{WORKLOAD_CLASS_TITLES[decision.class]}</strong> <span className="muted">— {decision.reason}</span>
    </span>
  );
}
